//! The plugin HTTP server: the fuzz input is everything a client sends on
//! one connection, fed to the server's own connection handling
//! ([`PluginServer::serve_stream`]: hyper's HTTP/1.1 and HTTP/2, the
//! connection caps and watchdog, routing, `public/` files, the plugin's
//! handler, the public APIs, the admin page).
//!
//! The server runs the `kernel-tour` fixture with `public/` files, a dotfile
//! and a link to a secret outside its folder ([`crate::fixtures`]); no
//! answer may carry either secret. The connection must end once the client
//! has left.

use crate::fixtures::{legacy_host, plugin_dir, SECRETS};
use owncast_plugin_host::PluginBundle;
use owncast_plugin_server::{PluginServer, ServerConfig};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The admin credentials the seeds use (`Authorization: Basic YWRtaW46ZnV6eg==`).
pub const ADMIN_PASSWORD: &str = "fuzz";

/// How long the client waits for the answers after sending everything (an
/// SSE stream never ends by itself), and how long the server then has to
/// end the connection.
const READ_FOR: Duration = Duration::from_millis(1500);
const END_WITHIN: Duration = Duration::from_secs(15);
/// How long the client keeps its side open for the first answer byte.
const ANSWER_WAIT: Duration = Duration::from_millis(50);

fn server() -> &'static Arc<PluginServer> {
    static S: OnceLock<Arc<PluginServer>> = OnceLock::new();
    S.get_or_init(|| {
        super::runtime().block_on(async {
            let host = legacy_host();
            let bundle = PluginBundle::from_dir(&plugin_dir()).expect("the fixture's folder");
            host.load(bundle).await.expect("the fixture loads");
            let config = ServerConfig::new(host.runtime().limits()).admin_password(ADMIN_PASSWORD);
            Arc::new(PluginServer::new(Arc::new(host), config))
        })
    })
}

pub fn http_server(data: &[u8]) {
    let server = server().clone();
    let remote: SocketAddr = "192.0.2.7:40000".parse().unwrap();
    let answer = super::runtime().block_on(async move {
        let (client, stream) = tokio::io::duplex(64 << 10);
        let conn = tokio::spawn(server.serve_stream(stream, remote));
        let (mut rd, mut wr) = tokio::io::split(client);
        let (first, answered) = tokio::sync::oneshot::channel::<()>();
        let reader = tokio::spawn(async move {
            let mut out = Vec::new();
            let mut first = Some(first);
            let _ = tokio::time::timeout(READ_FOR, async {
                let mut buf = [0u8; 16 << 10];
                while let Ok(n @ 1..) = rd.read(&mut buf).await {
                    out.extend_from_slice(&buf[..n]);
                    first.take().map(|f| f.send(()));
                }
            })
            .await;
            out
        });
        // The server may stop reading (an answer before the body): then the
        // rest is not sent, as a client would see its connection closed.
        let _ = tokio::time::timeout(READ_FOR, wr.write_all(data)).await;
        // The client half-closes once an answer starts (or the server
        // closed, or after a while): hyper drops a connection whose client
        // half-closed before its answer was ready, so an answer that waits
        // on the plugin would otherwise rarely be read.
        let _ = tokio::time::timeout(ANSWER_WAIT, answered).await;
        let _ = tokio::time::timeout(READ_FOR, wr.shutdown()).await;
        let answer = match reader.await {
            Ok(a) => a,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        };
        // The client leaves: both halves are gone.
        drop(wr);
        match tokio::time::timeout(END_WITHIN, conn).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => std::panic::resume_unwind(e.into_panic()),
            Err(_) => panic!("the connection did not end {END_WITHIN:?} after the client left"),
        }
        answer
    });
    for secret in SECRETS {
        let s = secret.as_bytes();
        if !data.windows(s.len()).any(|w| w == s) {
            assert!(
                !answer.windows(s.len()).any(|w| w == s),
                "an answer carries {secret}, a file that is never served: {}",
                String::from_utf8_lossy(&answer)
            );
        }
    }
}
