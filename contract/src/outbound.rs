//! The outbound-HTTP seam: requests that already passed the plugin's
//! `network.fetch` grant and `network.allowedHosts`, sent by whatever network
//! the embedder gives the host (the real one is the runtime's
//! `NetworkOutbound`; [`NoNetwork`] refuses everything).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboundRequest {
    pub method: String,
    pub url: String,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default, with = "body_text")]
    pub body: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct OutboundResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

mod body_text {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&String::from_utf8_lossy(b))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        Ok(String::deserialize(d)?.into_bytes())
    }
}

/// Performs (or simulates) outbound requests that already passed the policy.
#[async_trait::async_trait]
pub trait Outbound: Send + Sync + 'static {
    async fn send(&self, slug: &str, req: OutboundRequest) -> Result<OutboundResponse, String>;
}

/// A network that refuses every request: the host of trial loads, and
/// embedders whose plugins must not reach out.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNetwork;

#[async_trait::async_trait]
impl Outbound for NoNetwork {
    async fn send(&self, _slug: &str, req: OutboundRequest) -> Result<OutboundResponse, String> {
        Err(format!("{} {}: this host has no network", req.method, req.url))
    }
}
