//! A guest's stdout/stderr, turned into log lines under the plugin's slug.

use std::io::Write;
use std::sync::{Arc, Mutex};

/// Collects bytes and logs each complete line.
#[derive(Clone)]
pub struct LogPipe {
    slug: Arc<str>,
    stream: &'static str,
    buf: Arc<Mutex<Vec<u8>>>,
}

impl LogPipe {
    pub fn new(slug: &str, stream: &'static str) -> Self {
        LogPipe { slug: slug.into(), stream, buf: Default::default() }
    }
}

impl Write for LogPipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let mut buf = self.buf.lock().unwrap();
        buf.extend_from_slice(data);
        while let Some(pos) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=pos).collect();
            let line = String::from_utf8_lossy(&line[..line.len() - 1]);
            tracing::info!(target: "plugin", plugin = %self.slug, stream = self.stream, "{line}");
        }
        if buf.len() > 8192 {
            let line = String::from_utf8_lossy(&buf).into_owned();
            buf.clear();
            tracing::info!(target: "plugin", plugin = %self.slug, stream = self.stream, "{line}");
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl wasmtime_wasi::cli::IsTerminal for LogPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for LogPipe {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

impl tokio::io::AsyncWrite for LogPipe {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        data: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::task::Poll::Ready(Write::write(&mut *self, data))
    }
    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}
