//! Permissions and what each one grants: a WIT interface (or some of its
//! functions) and the legacy `owncast_*` host functions, declared once per
//! capability in [`declarations!`]. One table serves the component linker,
//! the legacy shim, the docs and the SDKs.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// The interface of a declaration: a WIT interface name, or `_` for none.
macro_rules! interface {
    (_) => {
        None
    };
    ($i:literal) => {
        Some($i)
    };
}

/// The contract's declarations, each capability once: its permission, the
/// WIT interface it opens (and which of its functions, when permissions
/// share an interface), each function's legacy `owncast_*` name and, after
/// `as`, its JS SDK name when that is not `<interface>.<function>` in
/// camelCase. The permission enum, [`CAPABILITIES`], [`LEGACY_NAMES`],
/// [`JS_NAMES`] and [`UNGATED_INTERFACES`] are generated from it.
macro_rules! declarations {
    (
        ungated { $( $ui:literal { $( $uf:literal => $ul:literal $( as $ujs:literal )? ),* $(,)? } ),* $(,)? }
        gated { $(
            $variant:ident = $name:literal : $iface:tt $( only [ $( $only:literal ),* ] )?
                { $( $f:literal => $l:literal $( as $js:literal )? ),* $(,)? }
        ),* $(,)? }
    ) => {
        /// A capability a plugin asks for in `plugin.manifest.json`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Permission { $( $variant ),* }

        impl Permission {
            pub const ALL: &'static [Permission] = &[ $( Permission::$variant ),* ];
            /// The manifest spelling, e.g. `chat.send`.
            pub fn name(self) -> &'static str {
                match self { $( Permission::$variant => $name ),* }
            }
        }

        impl FromStr for Permission {
            type Err = UnknownPermission;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s { $( $name => Ok(Permission::$variant), )* _ => Err(UnknownPermission(s.to_string())) }
            }
        }

        /// The table of CONTRACT.md's host functions, one row per permission.
        pub const CAPABILITIES: &[Capability] = &[ $(
            Capability {
                permission: Permission::$variant,
                interface: interface!($iface),
                functions: &[ $( $( $only ),* )? ],
            },
        )* ];

        /// Each WIT host function and its legacy Extism host function.
        pub const LEGACY_NAMES: &[(&str, &str, &str)] = &[
            $( $( ($ui, $uf, $ul), )* )*
            $( $( ($iface, $f, $l), )* )*
        ];

        /// The JS SDK names (`owncast.<name>`), by legacy name, of the host
        /// functions whose name is not `<interface>.<function>` in camelCase
        /// (see [`js_name`]).
        pub const JS_NAMES: &[(&str, &str)] = &[
            $( $( $( ($ul, $ujs), )? )* )*
            $( $( $( ($l, $js), )? )* )*
        ];

        /// Interfaces of `owncast:plugin` every plugin gets.
        pub const UNGATED_INTERFACES: &[&str] = &["types", $( $ui ),* ];
    };
}

declarations! {
    // Ambient: every plugin gets these (upstream's "ambient (no permission)").
    ungated {
        // One WIT function, `log(level, message)`; upstream has one legacy function per level.
        "log" {
            "log" => "owncast_log_info" as "log.info",
            "log" => "owncast_log_warning" as "log.warning",
            "log" => "owncast_log_error" as "log.error",
        },
        "config" { "get" => "owncast_config_get" },
        "timer" { "set" => "owncast_timer_set" as "timer.setTimeout", "clear" => "owncast_timer_clear" },
        "assets" { "read" => "owncast_asset_read" },
    }
    gated {
        ChatSend = "chat.send": "chat" {
            "send" => "owncast_send_chat",
            "send-action" => "owncast_send_chat_action",
            "send-system" => "owncast_send_chat_system" as "chat.system",
            "send-to" => "owncast_send_chat_to",
        },
        ChatHistory = "chat.history": "chat-history" {
            "history" => "owncast_chat_history" as "chat.history",
            "clients" => "owncast_chat_clients" as "chat.clients",
        },
        ChatModerate = "chat.moderate": "chat-moderate" {
            "delete-message" => "owncast_delete_message" as "chat.deleteMessage",
            "kick-client" => "owncast_kick_client" as "chat.kick",
        },
        ChatFilter = "chat.filter": _ {},
        StorageKv = "storage.kv": "kv" { "get" => "owncast_kv_get", "set" => "owncast_kv_set" },
        StorageUpload = "storage.upload": "upload" { "upload" => "owncast_storage_upload" as "storage.upload" },
        StorageFs = "storage.fs": "fs" {
            "read" => "owncast_fs_read",
            "write" => "owncast_fs_write",
            "list" => "owncast_fs_list",
            "delete" => "owncast_fs_delete",
            "exists" => "owncast_fs_exists",
        },
        StorageSql = "storage.sql": "sql" { "exec" => "owncast_sql_exec", "query" => "owncast_sql_query" },
        EventsEmit = "events.emit": "events" { "emit" => "owncast_emit_event" },
        ServerRead = "server.read": "server" {
            "stream-current" => "owncast_stream_current" as "stream.current",
            "stream-broadcaster" => "owncast_stream_broadcaster" as "stream.broadcaster",
            "server-info" => "owncast_server_info" as "server.info",
            "server-socials" => "owncast_server_socials" as "server.socials",
            "server-emotes" => "owncast_server_emotes" as "server.emotes",
            "server-federation" => "owncast_server_federation" as "server.federation",
            "server-tags" => "owncast_server_tags" as "server.tags",
        },
        VideoConfigRead = "videoconfig.read": "video-config" only ["read"] { "read" => "owncast_video_config_read" },
        VideoConfigWrite = "videoconfig.write": "video-config" only ["write"] {
            "write" => "owncast_video_config_write",
        },
        NotificationsSend = "notifications.send": "notifications" {
            "notify-discord" => "owncast_notify_discord" as "notifications.discord",
            "notify-browser-push" => "owncast_notify_browser_push" as "notifications.browserPush",
            "notify-fediverse" => "owncast_notify_fediverse" as "notifications.fediverse",
        },
        UsersRead = "users.read": "users" { "list" => "owncast_users_list", "get" => "owncast_user_get" },
        UsersModerate = "users.moderate": "users-moderate" {
            "set-enabled" => "owncast_user_set_enabled" as "users.setEnabled",
            "ban-ip" => "owncast_ban_ip" as "users.banIP",
        },
        UsersRegister = "users.register": "users-register" { "register" => "owncast_users_register" as "users.register" },
        AuthGate = "auth.gate": "auth-gate" {
            "grant-session" => "owncast_auth_grant_session" as "auth.grantSession",
            "end-session" => "owncast_auth_end_session" as "auth.endSession",
        },
        FediversePost = "fediverse.post": "fediverse" { "post" => "owncast_fediverse_post" },
        FediverseInbound = "fediverse.inbound": _ {},
        HttpSse = "http.sse": "sse" { "send" => "owncast_sse_send" },
        UiModify = "ui.modify": "ui" {
            "add-actions" => "owncast_add_actions" as "actions.add",
            "clear-actions" => "owncast_clear_actions" as "actions.clear",
        },
        NetworkFetch = "network.fetch": _ {},
        HttpServe = "http.serve": _ {},
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("unknown permission `{0}`")]
pub struct UnknownPermission(pub String);

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Permission {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Permission {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A set of permissions (what a manifest declares, or what an admin approved).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Permissions(BTreeSet<Permission>);

impl Permissions {
    pub fn new(perms: impl IntoIterator<Item = Permission>) -> Self {
        Permissions(perms.into_iter().collect())
    }
    pub fn contains(&self, p: Permission) -> bool {
        self.0.contains(&p)
    }
    pub fn iter(&self) -> impl Iterator<Item = Permission> + '_ {
        self.0.iter().copied()
    }
    pub fn is_subset(&self, other: &Permissions) -> bool {
        self.0.is_subset(&other.0)
    }
    pub fn difference<'a>(&'a self, other: &'a Permissions) -> impl Iterator<Item = Permission> + 'a {
        self.0.difference(&other.0).copied()
    }
    pub fn intersection(&self, other: &Permissions) -> Permissions {
        Permissions(self.0.intersection(&other.0).copied().collect())
    }
    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|p| p.name()).collect()
    }
}

impl FromIterator<Permission> for Permissions {
    fn from_iter<I: IntoIterator<Item = Permission>>(iter: I) -> Self {
        Permissions(iter.into_iter().collect())
    }
}

/// One capability: the permission and the WIT interface it opens (functions
/// listed when the interface is shared between permissions). Its legacy host
/// functions follow from [`LEGACY_NAMES`].
pub struct Capability {
    pub permission: Permission,
    /// Interface name inside `owncast:plugin`, e.g. `chat`.
    pub interface: Option<&'static str>,
    /// The interface functions this permission opens; empty means all.
    pub functions: &'static [&'static str],
}

impl Capability {
    /// The legacy `owncast_*` functions this permission opens.
    pub fn legacy_functions(&self) -> impl Iterator<Item = &'static str> + '_ {
        LEGACY_NAMES
            .iter()
            .filter(move |(i, f, _)| for_wit_function(i, f) == Ok(Some(self.permission)))
            .map(|(_, _, l)| *l)
    }
}

/// The legacy name of a WIT host function.
pub fn legacy_name(interface: &str, function: &str) -> Option<&'static str> {
    legacy_names(interface, function).next()
}

/// Every legacy name of a WIT host function (`log#log` has one per level).
pub fn legacy_names<'a>(interface: &'a str, function: &'a str) -> impl Iterator<Item = &'static str> + 'a {
    LEGACY_NAMES.iter().filter(move |(i, f, _)| *i == interface && *f == function).map(|(_, _, l)| *l)
}

/// The JS SDK's name, under `owncast.`, of the WIT host function
/// `interface#function` reached through the legacy function `legacy`: the
/// declared one ([`JS_NAMES`]), else `<interface>.<function>` in camelCase
/// (`fs#read` is `fs.read`, `video-config#write` is `videoConfig.write`).
pub fn js_name(interface: &str, function: &str, legacy: &str) -> String {
    match JS_NAMES.iter().find(|(l, _)| *l == legacy) {
        Some((_, js)) => js.to_string(),
        None => format!("{}.{}", crate::contract::camel(interface), crate::contract::camel(function)),
    }
}

/// A WIT import the `owncast:plugin` contract does not define.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("not part of the owncast:plugin contract")]
pub struct NotInContract;

/// The permission a WIT import `owncast:plugin/<interface>#<function>` needs.
/// `None` for ungated interfaces; `Err` for names the contract does not have.
pub fn for_wit_function(interface: &str, function: &str) -> Result<Option<Permission>, NotInContract> {
    if UNGATED_INTERFACES.contains(&interface) {
        return Ok(None);
    }
    CAPABILITIES
        .iter()
        .find(|c| c.interface == Some(interface) && (c.functions.is_empty() || c.functions.contains(&function)))
        .map(|c| Some(c.permission))
        .ok_or(NotInContract)
}

/// The permission filtering events of type `event` needs, if any.
pub fn for_filter(event: &str) -> Option<Permission> {
    event.starts_with("chat.").then_some(Permission::ChatFilter)
}

/// What a notify subscription to an event needs without holding a permission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotifyGate {
    /// Refused at load: the fediverse events need `fediverse.inbound`.
    Refused(Permission),
    /// Loads with a warning: upstream's host loads a plugin subscribing to
    /// `sse.connect`/`sse.disconnect` without `http.sse` and dispatches to it
    /// as to any subscriber; no connection can open without `http.sse` (its
    /// SSE endpoint answers 404), so in production the events never come.
    Advised(Permission),
}

/// The permission subscribing to notifications of `event` needs, if any.
pub fn for_notify(event: &str) -> Option<NotifyGate> {
    if event.starts_with("fediverse.") {
        Some(NotifyGate::Refused(Permission::FediverseInbound))
    } else if event == "sse.connect" || event == "sse.disconnect" {
        Some(NotifyGate::Advised(Permission::HttpSse))
    } else {
        None
    }
}

/// The permission a legacy host function needs: `Ok(None)` for the ambient
/// ones every plugin gets, `Err` if it is not an `owncast_*` function of the contract.
pub fn for_legacy_function(name: &str) -> Result<Option<Permission>, NotInContract> {
    LEGACY_NAMES.iter().find(|(_, _, l)| *l == name).ok_or(NotInContract).and_then(|(i, f, _)| for_wit_function(i, f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(p.name().parse::<Permission>().unwrap(), *p);
        }
        assert!("chat.shout".parse::<Permission>().unwrap_err().to_string().contains("chat.shout"));
    }

    #[test]
    fn every_permission_has_one_row() {
        for p in Permission::ALL {
            assert_eq!(CAPABILITIES.iter().filter(|c| c.permission == *p).count(), 1, "{p}");
        }
    }

    #[test]
    fn video_config_is_split_by_function() {
        assert_eq!(for_wit_function("video-config", "read"), Ok(Some(Permission::VideoConfigRead)));
        assert_eq!(for_wit_function("video-config", "write"), Ok(Some(Permission::VideoConfigWrite)));
        assert_eq!(for_wit_function("log", "log"), Ok(None));
        assert_eq!(for_legacy_function("owncast_kick_client"), Ok(Some(Permission::ChatModerate)));
        assert_eq!(for_legacy_function("owncast_timer_set"), Ok(None));
        assert_eq!(for_legacy_function("owncast_sql_exec"), Ok(Some(Permission::StorageSql)));
        assert_eq!(for_legacy_function("owncast_auth_end_session"), Ok(Some(Permission::AuthGate)));
        assert_eq!(for_legacy_function("owncast_explode"), Err(NotInContract));
    }

    #[test]
    fn every_legacy_name_has_a_wit_function() {
        for (i, f, l) in LEGACY_NAMES {
            match for_wit_function(i, f) {
                Ok(Some(_)) => {}
                Ok(None) => assert!(["timer", "config", "assets", "log"].contains(i), "{l}: {i}#{f} is ungated"),
                Err(NotInContract) => panic!("{l}: {i}#{f} is not in the contract"),
            }
        }
        let chat: Vec<_> =
            CAPABILITIES.iter().find(|c| c.permission == Permission::ChatSend).unwrap().legacy_functions().collect();
        assert_eq!(
            chat,
            ["owncast_send_chat", "owncast_send_chat_action", "owncast_send_chat_system", "owncast_send_chat_to"]
        );
        let read: Vec<_> = CAPABILITIES
            .iter()
            .find(|c| c.permission == Permission::VideoConfigRead)
            .unwrap()
            .legacy_functions()
            .collect();
        assert_eq!(read, ["owncast_video_config_read"]);
        // upstream's owncast_* functions this host implements (owncast/plugin-sdk engines/javascript/engine.d.ts)
        assert_eq!(LEGACY_NAMES.len(), 49);
    }

    #[test]
    fn every_gated_wit_interface_is_in_the_world() {
        let world = include_str!("../../wit/world.wit");
        for c in CAPABILITIES {
            if let Some(i) = c.interface {
                assert!(world.contains(&format!("import {i};")), "world does not import {i}");
            }
        }
    }
}
