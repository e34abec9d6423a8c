//! Echo bot: answers every chat message with "<name> said: <body>".
//!
//! Shows a notification handler (`subscriptions.notify`) and `chat.send`.
//! The bot's own messages come back as `chat.message.received` too; they are
//! marked `isBot`, and echoing them would loop forever, so bots are ignored.

use owncast_plugin::{
    chat, export_plugin, http, manifest, Event, FilterResult, Guest, HttpRequest, HttpResponse,
    Registration,
};

struct EchoBot;

impl Guest for EchoBot {
    fn register() -> Registration {
        manifest!().registration()
    }

    fn on_event(event: Event) {
        let Event::ChatMessageReceived(message) = event else {
            return;
        };
        let Some(user) = &message.user else { return };
        let from_bot = user.is_bot == Some(true) || manifest!().bot_display_name() == Some(user.display_name.as_str());
        if from_bot || message.body.trim().is_empty() {
            return;
        }
        chat::send(&format!("{} said: {}", user.display_name, message.body));
    }

    fn on_filter(_event: Event) -> FilterResult {
        FilterResult::Pass
    }

    fn on_http_request(_request: HttpRequest) -> HttpResponse {
        http::not_found()
    }
}

export_plugin!(EchoBot);
