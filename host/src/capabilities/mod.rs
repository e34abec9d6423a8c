//! One module per capability: the host side of a WIT interface and the
//! service both plugin kinds call.
//!
//! Each module implements the capability's methods on
//! [`PluginContext`](crate::context::PluginContext) (limits, the service; no
//! permission check: that is the loaders' gate, see
//! [`PluginContext::require`](crate::context::PluginContext::require)) and the `bindgen!` `Host` trait of its WIT interface on
//! [`PluginView`], which only translates (as wasmtime-wasi's `WasiView`: the
//! capabilities never name the loader's store type). The legacy shim (`owncast-compat-extism`) calls the same
//! context methods: each module declares its `owncast_*` functions with
//! [`legacy!`](crate::legacy) (see [`legacy`]), and the shim only moves
//! their arguments and results through Extism's kernel memory.

use crate::context::{CallScope, HostCallError, PluginContext};
use std::sync::Arc;
use wasmtime::component::Linker;

pub mod legacy;

/// The capability modules, each named once. Those under `linked` implement
/// the `owncast:plugin` interface of the same name (`chat_history` is
/// `chat-history`) on [`PluginView`]; [`link`] is generated from this list,
/// so a module listed here links, and a test checks the list against `wit/`
/// and the contract's declarations.
macro_rules! capabilities {
    (linked { $( $m:ident ),* $(,)? } other { $( $o:ident ),* $(,)? }) => {
        $( pub mod $m; )*
        $( pub mod $o; )*

        /// Each linked capability's legacy `owncast_*` functions (its `legacy!` table).
        pub(crate) const LEGACY_BY_MODULE: &[&[legacy::LegacyFn]] = &[ $( $m::LEGACY ),* ];

        /// Adds the host implementation of `owncast:plugin/<interface>` to a
        /// linker; `None` if no capability implements that interface.
        pub(crate) fn link<T: HasView>(linker: &mut Linker<T>, interface: &str) -> Option<wasmtime::Result<()>> {
            $(
                if interface.replace('-', "_") == stringify!($m) {
                    return Some(crate::bindings::owncast::plugin::$m::add_to_linker::<T, ViewOf>(linker, T::view));
                }
            )*
            None
        }

        /// The interfaces [`link`] implements, in WIT spelling.
        pub fn linked_interfaces() -> Vec<String> {
            vec![ $( stringify!($m).replace('_', "-") ),* ]
        }
    };
}

capabilities! {
    linked {
        assets,
        auth_gate,
        chat,
        chat_history,
        chat_moderate,
        config,
        events,
        fediverse,
        fs,
        kv,
        log,
        notifications,
        server,
        sql,
        sse,
        timer,
        ui,
        upload,
        users,
        users_moderate,
        users_register,
        video_config,
    }
    other { http_outbound }
}

/// A store's data that shows its plugin as a [`PluginView`] (the component
/// loader's state), so capabilities link without naming it.
pub trait HasView: Send + 'static {
    fn view(&mut self) -> PluginView<'_>;
}

/// A plugin as a host call sees it: its shared context and the call in
/// progress (what the call emits, its session change). The `bindgen!` host
/// traits are implemented on it, and the legacy shim calls through it.
pub struct PluginView<'a> {
    pub ctx: &'a Arc<PluginContext>,
    pub call: &'a mut CallScope,
}

impl std::ops::Deref for PluginView<'_> {
    type Target = PluginContext;
    fn deref(&self) -> &PluginContext {
        self.ctx
    }
}

/// The `HasData` marker whose data is a [`PluginView`] (for `add_to_linker`).
pub struct ViewOf;

impl wasmtime::component::HasData for ViewOf {
    type Data<'a> = PluginView<'a>;
}

/// Host-call failures trap the calling guest; the error stays typed, so a
/// refusal reaches the dispatcher as [`CallError::Refused`](crate::plugin::CallError::Refused).
pub(crate) fn trap(e: HostCallError) -> wasmtime::Error {
    wasmtime::Error::new(e)
}

/// The CSS properties a `style` attribute keeps in plugin HTML. Upstream's
/// host renders a plugin's system message without sanitizing it, and plugins
/// style their markup inline (an avatar's size and rounding, a dimmed
/// handle); this subset keeps that look while nothing in it can load a
/// resource (`url(...)`), position an element over the page or hide it.
const STYLE_PROPERTIES: [&str; 21] = [
    "color",
    "background-color",
    "opacity",
    "font-weight",
    "font-style",
    "font-size",
    "text-decoration",
    "text-align",
    "vertical-align",
    "white-space",
    "border-radius",
    "margin",
    "margin-top",
    "margin-right",
    "margin-bottom",
    "margin-left",
    "padding",
    "padding-top",
    "padding-right",
    "padding-bottom",
    "padding-left",
];

/// Sanitizes untrusted HTML (system chat messages, action buttons): keeps
/// formatting, links and the `style` properties of [`STYLE_PROPERTIES`];
/// drops scripts, `<style>`, other CSS properties, event handlers and
/// `javascript:`. Links get `rel="noopener noreferrer nofollow"`.
pub fn sanitize_html(html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .add_generic_attributes(["style"])
        .filter_style_properties(STYLE_PROPERTIES.into())
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sanitizer_drops_scripts_and_handlers() {
        let out = super::sanitize_html(
            r#"<b onclick="x()">hi</b><script>alert(1)</script><a href="javascript:alert(1)">l</a>"#,
        );
        assert!(out.contains("<b>hi</b>"), "{out}");
        assert!(!out.contains("script") && !out.contains("onclick") && !out.contains("javascript"), "{out}");
    }

    #[test]
    fn sanitizer_keeps_only_the_safe_style_properties() {
        let out = super::sanitize_html(
            r#"<img src="https://a.example/x.png" style="vertical-align:middle;border-radius:50%;margin-right:8px"><span style="opacity:0.7">h</span>"#,
        );
        assert_eq!(
            out,
            r#"<img src="https://a.example/x.png" style="vertical-align:middle;border-radius:50%;margin-right:8px"><span style="opacity:0.7">h</span>"#
        );
        let out = super::sanitize_html(
            r#"<span style="position:fixed;top:0;z-index:9;background:url(https://t.example/p);background-image:url(x);display:none;color:red">x</span><style>body{}</style>"#,
        );
        assert_eq!(out, r#"<span style="color:red">x</span>"#);
    }
}
