//! [`CannedOutbound`]: a network that answers from canned responses
//! (scenario `given.httpResponses`) and records every request.

use owncast_plugin_contract::manifest::glob_match;
use owncast_plugin_contract::outbound::{Outbound, OutboundRequest, OutboundResponse};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;

/// A canned answer for scenario tests (`given.httpResponses`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CannedResponse {
    /// Glob over the full URL (`*` matches anything).
    pub url: String,
    /// Matches only requests with this method (any case); absent matches any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// A string is sent as is; any other JSON value is sent as JSON text.
    #[serde(default)]
    pub body: serde_json::Value,
}

fn ok() -> u16 {
    200
}

impl CannedResponse {
    /// Whether this answer is for `req`: its URL glob and, if set, its method.
    pub fn matches(&self, req: &OutboundRequest) -> bool {
        glob_match(&self.url, &req.url) && self.method.as_deref().is_none_or(|m| m.eq_ignore_ascii_case(&req.method))
    }
}

/// Answers from canned responses and records every request.
#[derive(Default)]
pub struct CannedOutbound {
    responses: Vec<CannedResponse>,
    requests: Mutex<Vec<OutboundRequest>>,
}

impl CannedOutbound {
    pub fn new(responses: Vec<CannedResponse>) -> Self {
        CannedOutbound { responses, requests: Mutex::new(Vec::new()) }
    }
    pub fn requests(&self) -> Vec<OutboundRequest> {
        self.requests.lock().unwrap().clone()
    }
}

#[async_trait::async_trait]
impl Outbound for CannedOutbound {
    async fn send(&self, _slug: &str, req: OutboundRequest) -> Result<OutboundResponse, String> {
        self.requests.lock().unwrap().push(req.clone());
        let c =
            self.responses.iter().find(|c| c.matches(&req)).ok_or_else(|| {
                format!("no canned response matches {} {} (given.httpResponses)", req.method, req.url)
            })?;
        let body = match &c.body {
            serde_json::Value::String(s) => s.clone().into_bytes(),
            serde_json::Value::Null => Vec::new(),
            v => v.to_string().into_bytes(),
        };
        Ok(OutboundResponse { status: c.status, headers: c.headers.clone().into_iter().collect(), body })
    }
}
