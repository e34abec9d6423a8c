//! Owncast callbacks off the runtime's worker threads.

use crate::owncast::{Caller, ChatSend, LogLevel, Owncast};

use crate::types::*;
use std::sync::Arc;

/// The [`Owncast`] the host's services call: each callback runs where
/// blocking is allowed. The trait is synchronous and runs on the calling
/// plugin's task; an implementation that blocks (a slow database, a lock held
/// elsewhere) would otherwise hold a runtime worker thread, and with every
/// worker held no timer fires, so no call could end at its deadline. On a
/// multi-thread tokio runtime the callback runs under
/// [`tokio::task::block_in_place`] (the worker's other tasks move to another
/// thread meanwhile); elsewhere it is called directly.
pub(crate) struct OffWorker(pub Arc<dyn Owncast>);

fn off_worker<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Owncast for OffWorker {
    fn send_chat(&self, from: &Caller<'_>, message: ChatSend) {
        off_worker(|| self.0.send_chat(from, message))
    }
    fn chat_history(&self, limit: u32) -> Vec<ChatMessage> {
        off_worker(|| self.0.chat_history(limit))
    }
    fn chat_clients(&self) -> Vec<ChatClient> {
        off_worker(|| self.0.chat_clients())
    }
    fn delete_message(&self, from: &Caller<'_>, message_id: &str) -> Result<(), String> {
        off_worker(|| self.0.delete_message(from, message_id))
    }
    fn kick_client(&self, from: &Caller<'_>, client_id: u64) -> Result<(), String> {
        off_worker(|| self.0.kick_client(from, client_id))
    }
    fn upload(&self, from: &Caller<'_>, name: &str, data: &[u8]) -> Result<UrlResult, String> {
        off_worker(|| self.0.upload(from, name, data))
    }
    fn stream_current(&self) -> StreamInfo {
        off_worker(|| self.0.stream_current())
    }
    fn stream_broadcaster(&self) -> Broadcaster {
        off_worker(|| self.0.stream_broadcaster())
    }
    fn server_info(&self) -> ServerInfo {
        off_worker(|| self.0.server_info())
    }
    fn server_socials(&self) -> Vec<SocialHandle> {
        off_worker(|| self.0.server_socials())
    }
    fn server_emotes(&self) -> Vec<Emote> {
        off_worker(|| self.0.server_emotes())
    }
    fn server_federation(&self) -> FederationInfo {
        off_worker(|| self.0.server_federation())
    }
    fn server_tags(&self) -> Vec<String> {
        off_worker(|| self.0.server_tags())
    }
    fn video_config(&self) -> VideoConfig {
        off_worker(|| self.0.video_config())
    }
    fn write_video_config(&self, from: &Caller<'_>, update: &VideoConfigUpdate) -> OpResult {
        off_worker(|| self.0.write_video_config(from, update))
    }
    fn notify_discord(&self, from: &Caller<'_>, content: &str) {
        off_worker(|| self.0.notify_discord(from, content))
    }
    fn notify_browser_push(&self, from: &Caller<'_>, push: &BrowserPush) {
        off_worker(|| self.0.notify_browser_push(from, push))
    }
    fn notify_fediverse(&self, from: &Caller<'_>, notification: &FediverseNotification) {
        off_worker(|| self.0.notify_fediverse(from, notification))
    }
    fn users(&self) -> Vec<User> {
        off_worker(|| self.0.users())
    }
    fn user(&self, id: &str) -> Option<User> {
        off_worker(|| self.0.user(id))
    }
    fn set_user_enabled(&self, from: &Caller<'_>, id: &str, enabled: bool, reason: &str) -> Result<(), String> {
        off_worker(|| self.0.set_user_enabled(from, id, enabled, reason))
    }
    fn ban_ip(&self, from: &Caller<'_>, ip: &str) -> Result<(), String> {
        off_worker(|| self.0.ban_ip(from, ip))
    }
    fn fediverse_post(&self, from: &Caller<'_>, content: &str) -> Result<UrlResult, String> {
        off_worker(|| self.0.fediverse_post(from, content))
    }
    fn register_user(&self, from: &Caller<'_>, registration: &UserRegistration) -> Result<String, String> {
        off_worker(|| self.0.register_user(from, registration))
    }
    fn session_granted(&self, from: &Caller<'_>, user_id: &str, ttl_seconds: u64) {
        off_worker(|| self.0.session_granted(from, user_id, ttl_seconds))
    }
    fn session_ended(&self, from: &Caller<'_>) {
        off_worker(|| self.0.session_ended(from))
    }
    fn plugin_log(&self, from: &Caller<'_>, level: LogLevel, message: &str) {
        off_worker(|| self.0.plugin_log(from, level, message))
    }
}
