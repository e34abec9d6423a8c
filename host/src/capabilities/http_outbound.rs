//! Outbound HTTP — permission `network.fetch`, limited to the manifest's
//! `network.allowedHosts`. Components reach it through `wasi:http/outgoing-handler`
//! ([`OutboundHooks`]); legacy plugins through Extism's `http_request`. Both
//! end in [`PluginContext::fetch`], the one place the policy is applied.

use crate::context::{HostCallError, PluginContext};
use crate::manifest::host_allowed;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
pub use owncast_plugin_contract::outbound::{NoNetwork, Outbound, OutboundRequest, OutboundResponse};
use std::sync::Arc;
use std::time::Duration;

/// Largest request or response body of an outbound call.
pub const MAX_BODY_BYTES: usize = 4 << 20;
/// Whole-request timeout for an outbound call.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The real network, through `wasmtime-wasi-http`'s client (HTTP and HTTPS).
pub struct NetworkOutbound;

#[async_trait::async_trait]
impl Outbound for NetworkOutbound {
    async fn send(&self, _slug: &str, req: OutboundRequest) -> Result<OutboundResponse, String> {
        let mut builder = http::Request::builder().method(req.method.as_str()).uri(req.url.as_str());
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let request = builder
            .body(Full::new(Bytes::from(req.body)).map_err(|e: std::convert::Infallible| match e {}))
            .map_err(|e| e.to_string())?;
        let options = wasmtime_wasi_http::RequestOptions {
            connect_timeout: Some(TIMEOUT),
            first_byte_timeout: Some(TIMEOUT),
            between_bytes_timeout: Some(TIMEOUT),
        };
        let fut = async {
            let (resp, io) =
                wasmtime_wasi_http::default_send_request(request, Some(options)).await.map_err(|e| format!("{e:?}"))?;
            let io = tokio::spawn(io);
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES).collect().await.map_err(|e| e.to_string())?.to_bytes();
            io.abort();
            Ok::<_, String>(OutboundResponse {
                status: parts.status.as_u16(),
                headers: header_pairs(&parts.headers),
                body: body.to_vec(),
            })
        };
        tokio::time::timeout(TIMEOUT, fut).await.map_err(|_| format!("timed out after {TIMEOUT:?}"))?
    }
}

/// Headers as `(name, value)` pairs (values that are not UTF-8 are decoded lossily).
pub fn header_pairs(h: &http::HeaderMap) -> Vec<(String, String)> {
    h.iter().map(|(k, v)| (k.to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect()
}

impl PluginContext {
    /// Sends an outbound request if the plugin's allowed hosts cover it
    /// (`network.fetch` was checked before: at load for components, on each
    /// call of Extism's `http_request`); counted in the plugin's metrics
    /// (refusals as denials).
    pub async fn fetch(&self, req: OutboundRequest) -> Result<OutboundResponse, HostCallError> {
        let result = self.fetch_checked(req).await;
        let denied = matches!(&result, Err(HostCallError::HostNotAllowed { .. }));
        self.metrics().http_request(denied);
        result
    }

    async fn fetch_checked(&self, req: OutboundRequest) -> Result<OutboundResponse, HostCallError> {
        const CALL: &str = "http.fetch";
        let uri: http::Uri = req.url.parse().map_err(|e| self.failed(CALL, format!("bad URL \"{}\": {e}", req.url)))?;
        match uri.scheme_str() {
            Some("http") | Some("https") => {}
            _ => return Err(self.failed(CALL, format!("URL \"{}\" must be http or https", req.url))),
        }
        let host = uri.host().ok_or_else(|| self.failed(CALL, format!("URL \"{}\" has no host", req.url)))?;
        if !host_allowed(&self.manifest().allowed_hosts, host) {
            return Err(HostCallError::HostNotAllowed {
                slug: self.slug().to_string(),
                call: CALL.to_string(),
                host: host.to_string(),
            });
        }
        if req.body.len() > MAX_BODY_BYTES {
            return Err(self.failed(CALL, format!("request body is over {MAX_BODY_BYTES} bytes")));
        }
        let resp = self.services().outbound.send(self.slug(), req).await.map_err(|e| self.failed(CALL, e))?;
        if resp.body.len() > MAX_BODY_BYTES {
            return Err(self.failed(CALL, format!("response body is over {MAX_BODY_BYTES} bytes")));
        }
        Ok(resp)
    }
}

/// `wasi:http` hooks that route a component's outgoing requests through
/// [`PluginContext::fetch`].
pub struct OutboundHooks {
    pub ctx: Arc<PluginContext>,
}

impl wasmtime_wasi_http::WasiHttpHooks for OutboundHooks {
    fn send_request(
        &mut self,
        request: http::Request<wasmtime_wasi_http::WasiBody>,
        _options: Option<wasmtime_wasi_http::RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
    ) -> Box<
        dyn std::future::Future<
                Output = wasmtime_wasi_http::Result<(
                    http::Response<wasmtime_wasi_http::WasiBody>,
                    Box<dyn std::future::Future<Output = Result<(), wasmtime_wasi_http::Error>> + Send>,
                )>,
            > + Send,
    > {
        let ctx = self.ctx.clone();
        Box::new(async move {
            use wasmtime_wasi_http::Error;
            let (parts, body) = request.into_parts();
            let body = Limited::new(body, MAX_BODY_BYTES)
                .collect()
                .await
                .map_err(|_| Error::HttpRequestBodySize(None))?
                .to_bytes();
            let req = OutboundRequest {
                method: parts.method.to_string(),
                url: parts.uri.to_string(),
                headers: header_pairs(&parts.headers),
                body: body.to_vec(),
            };
            let resp = match ctx.fetch(req).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(plugin = %ctx.slug(), "outbound request refused: {e}");
                    return Err(match e {
                        HostCallError::Denied { .. } | HostCallError::HostNotAllowed { .. } => Error::HttpRequestDenied,
                        HostCallError::Failed { .. } => Error::DestinationUnavailable,
                    });
                }
            };
            let mut builder = http::Response::builder().status(resp.status);
            for (k, v) in &resp.headers {
                builder = builder.header(k, v);
            }
            let response = builder
                .body(
                    Full::new(Bytes::from(resp.body)).map_err(|e: std::convert::Infallible| match e {}).boxed_unsync(),
                )
                .map_err(|_| Error::HttpProtocolError)?;
            let done: Box<dyn std::future::Future<Output = Result<(), Error>> + Send> = Box::new(async { Ok(()) });
            Ok((response, done))
        })
    }
}
