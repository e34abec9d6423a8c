//! A guest's stdout/stderr, turned into log lines under the plugin's slug;
//! the tail of what it wrote during the current call is kept, so a failed
//! call's error can carry it (a Rust guest's panic message goes to stderr).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// How much of a call's output [`CallOutput`] keeps (its end).
pub const CALL_OUTPUT_BYTES: usize = 2048;

/// Collects bytes and logs each complete line.
#[derive(Clone)]
pub struct LogPipe {
    slug: Arc<str>,
    stream: &'static str,
    buf: Arc<Mutex<Vec<u8>>>,
    call: Option<CallOutput>,
}

impl LogPipe {
    pub fn new(slug: &str, stream: &'static str) -> Self {
        LogPipe { slug: slug.into(), stream, buf: Default::default(), call: None }
    }

    /// Also keeps what is written in `call` (until the caller clears it).
    pub fn capturing(mut self, call: CallOutput) -> Self {
        self.call = Some(call);
        self
    }
}

/// The end (at most [`CALL_OUTPUT_BYTES`]) of what a guest wrote to a stream
/// since the last [`CallOutput::clear`]. Calls into one instance are
/// serialized, so clearing it as each call starts makes it that call's output.
#[derive(Clone, Default)]
pub struct CallOutput(Arc<Mutex<Vec<u8>>>);

impl CallOutput {
    fn push(&self, data: &[u8]) {
        let mut b = self.0.lock().unwrap();
        b.extend_from_slice(data);
        if b.len() > CALL_OUTPUT_BYTES {
            let cut = b.len() - CALL_OUTPUT_BYTES;
            b.drain(..cut);
        }
    }

    /// Forgets what was written so far (a call starts).
    pub fn clear(&self) {
        self.0.lock().unwrap().clear();
    }

    /// What was written since the last clear, as one line for an error
    /// message: lines trimmed and joined with a space, empty lines and Rust's
    /// "note: run with `RUST_BACKTRACE=1`" hint left out. Empty when the
    /// guest wrote nothing. Clears it.
    pub fn take(&self) -> String {
        let bytes = std::mem::take(&mut *self.0.lock().unwrap());
        let text = String::from_utf8_lossy(&bytes);
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with("note: run with `RUST_BACKTRACE=1`"))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Write for LogPipe {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Some(call) = &self.call {
            call.push(data);
        }
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
    /// Written synchronously (not through a background task), so what a
    /// guest wrote is all here when its call returns or traps.
    fn p2_stream(&self) -> Box<dyn wasmtime_wasi::p2::OutputStream> {
        Box::new(self.clone())
    }
}

impl wasmtime_wasi::p2::OutputStream for LogPipe {
    fn write(&mut self, data: bytes::Bytes) -> wasmtime_wasi::p2::StreamResult<()> {
        let _ = Write::write(self, &data);
        Ok(())
    }
    fn flush(&mut self) -> wasmtime_wasi::p2::StreamResult<()> {
        Ok(())
    }
    fn check_write(&mut self) -> wasmtime_wasi::p2::StreamResult<usize> {
        Ok(64 * 1024)
    }
}

#[async_trait::async_trait]
impl wasmtime_wasi::p2::Pollable for LogPipe {
    async fn ready(&mut self) {}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_keeps_the_end_of_its_output_as_one_line() {
        let call = CallOutput::default();
        let mut pipe = LogPipe::new("p", "stderr").capturing(call.clone());
        pipe.write_all(b"before the call\n").unwrap();
        call.clear();
        pipe.write_all(b"\nthread '<unnamed>' panicked at src/lib.rs:3:9:\nboom\n").unwrap();
        pipe.write_all(b"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n").unwrap();
        assert_eq!(call.take(), "thread '<unnamed>' panicked at src/lib.rs:3:9: boom");
        assert_eq!(call.take(), "", "taken");
        pipe.write_all(&vec![b'x'; 3 * CALL_OUTPUT_BYTES]).unwrap();
        pipe.write_all(b"the end").unwrap();
        let tail = call.take();
        assert_eq!(tail.len(), CALL_OUTPUT_BYTES);
        assert!(tail.ends_with("xthe end"), "{tail}");
    }
}
