//! The WIT contract as data: the wire-protocol document and the TypeScript
//! declarations of the JSON shapes are generated from `wit/` here, so they
//! cannot drift from it (`owncast-plugin contract --md/--ts`; tests compare
//! the committed files with a fresh rendering).

use crate::permissions::{self, CAPABILITIES};
use std::fmt::Write;
use std::path::Path;
use wit_parser::{Docs, Function, InterfaceId, Resolve, Type, TypeDefKind, TypeId, WorldItem, WorldKey};

/// The parsed `owncast:plugin` package.
pub struct Contract {
    resolve: Resolve,
    package: wit_parser::PackageId,
}

/// `display-name` → `displayName`.
pub fn camel(kebab: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for c in kebab.chars() {
        if c == '-' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `chat-message` → `ChatMessage`.
pub fn pascal(kebab: &str) -> String {
    let c = camel(kebab);
    let mut chars = c.chars();
    chars.next().map(|f| f.to_uppercase().collect::<String>() + chars.as_str()).unwrap_or_default()
}

fn docs(d: &Docs) -> String {
    d.contents.as_deref().unwrap_or("").trim().to_string()
}

fn one_line(d: &Docs) -> String {
    docs(d).split("\n\n").next().unwrap_or("").replace('\n', " ")
}

impl Contract {
    /// Parses the WIT directory (with its `deps/`).
    pub fn load(wit_dir: &Path) -> anyhow::Result<Contract> {
        let mut resolve = Resolve::new();
        let (package, _) = resolve.push_dir(wit_dir).map_err(|e| anyhow::anyhow!("{}: {e:#}", wit_dir.display()))?;
        Ok(Contract { resolve, package })
    }

    fn package_name(&self) -> String {
        self.resolve.packages[self.package].name.to_string()
    }

    fn interface(&self, name: &str) -> Option<InterfaceId> {
        self.resolve.packages[self.package].interfaces.get(name).copied()
    }

    fn world(&self) -> &wit_parser::World {
        let id = self.resolve.packages[self.package].worlds["plugin"];
        &self.resolve.worlds[id]
    }

    /// Records of the `types` interface: `(wit name, [(field, docs)])`.
    pub fn records(&self) -> Vec<(String, Vec<String>)> {
        let iface = &self.resolve.interfaces[self.interface("types").expect("types interface")];
        iface
            .types
            .iter()
            .filter_map(|(name, id)| match &self.resolve.types[*id].kind {
                TypeDefKind::Record(r) => Some((name.clone(), r.fields.iter().map(|f| f.name.clone()).collect())),
                _ => None,
            })
            .collect()
    }

    fn wit_type(&self, t: &Type) -> String {
        match t {
            Type::Bool => "bool".into(),
            Type::U8 => "u8".into(),
            Type::U16 => "u16".into(),
            Type::U32 => "u32".into(),
            Type::U64 => "u64".into(),
            Type::S8 => "s8".into(),
            Type::S16 => "s16".into(),
            Type::S32 => "s32".into(),
            Type::S64 => "s64".into(),
            Type::F32 => "f32".into(),
            Type::F64 => "f64".into(),
            Type::Char => "char".into(),
            Type::String => "string".into(),
            Type::ErrorContext => "error-context".into(),
            Type::Id(id) => self.wit_type_id(*id),
        }
    }

    fn wit_type_id(&self, id: TypeId) -> String {
        let td = &self.resolve.types[id];
        if let Some(n) = &td.name {
            return n.clone();
        }
        match &td.kind {
            TypeDefKind::Option(t) => format!("option<{}>", self.wit_type(t)),
            TypeDefKind::List(t) => format!("list<{}>", self.wit_type(t)),
            TypeDefKind::Tuple(t) => format!("tuple<{}>", t.types.iter().map(|t| self.wit_type(t)).collect::<Vec<_>>().join(", ")),
            TypeDefKind::Result(r) => format!(
                "result<{}, {}>",
                r.ok.as_ref().map(|t| self.wit_type(t)).unwrap_or("_".into()),
                r.err.as_ref().map(|t| self.wit_type(t)).unwrap_or("_".into())
            ),
            TypeDefKind::Type(t) => self.wit_type(t),
            other => format!("{other:?}"),
        }
    }

    /// The JSON (and TypeScript) type of a WIT type.
    fn ts_type(&self, t: &Type) -> String {
        match t {
            Type::Bool => "boolean".into(),
            Type::String | Type::Char => "string".into(),
            Type::Id(id) => {
                let td = &self.resolve.types[*id];
                match &td.kind {
                    TypeDefKind::Record(_) | TypeDefKind::Variant(_) | TypeDefKind::Enum(_) if td.name.is_some() => {
                        pascal(td.name.as_deref().unwrap())
                    }
                    TypeDefKind::Type(t) => self.ts_type(t),
                    TypeDefKind::Option(t) => format!("{} | null", self.ts_type(t)),
                    TypeDefKind::List(inner) => match inner {
                        Type::U8 => "string".into(),
                        Type::Id(tid) if matches!(self.resolve.types[*tid].kind, TypeDefKind::Tuple(_)) => "Record<string, string>".into(),
                        t => {
                            let s = self.ts_type(t);
                            if s.contains(' ') { format!("Array<{s}>") } else { format!("{s}[]") }
                        }
                    },
                    TypeDefKind::Result(r) => format!(
                        "{} | {{ error: {} }}",
                        r.ok.as_ref().map(|t| self.ts_type(t)).unwrap_or("null".into()),
                        r.err.as_ref().map(|t| self.ts_type(t)).unwrap_or("null".into())
                    ),
                    _ => "unknown".into(),
                }
            }
            _ => "number".into(),
        }
    }

    fn signature(&self, f: &Function) -> String {
        let params: Vec<String> = f.params.iter().map(|p| format!("{}: {}", p.name, self.wit_type(&p.ty))).collect();
        let result = f.result.as_ref().map(|t| format!(" -> {}", self.wit_type(t))).unwrap_or_default();
        format!("{}: func({}){result}", f.name, params.join(", "))
    }

    /// Imported `owncast:plugin` interfaces in world order.
    fn imported_interfaces(&self) -> Vec<(String, InterfaceId)> {
        self.world()
            .imports
            .iter()
            .filter_map(|(k, item)| match (k, item) {
                (WorldKey::Interface(id), WorldItem::Interface { .. }) => {
                    let i = &self.resolve.interfaces[*id];
                    (i.package == Some(self.package)).then(|| (i.name.clone().unwrap_or_default(), *id))
                }
                _ => None,
            })
            .collect()
    }

    /// `docs/WIRE_PROTOCOL.md`.
    pub fn markdown(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "# Owncast plugin wire protocol\n");
        let _ = writeln!(
            o,
            "<!-- Generated from wit/ by `owncast-plugin contract --md docs/WIRE_PROTOCOL.md`. Do not edit by hand. -->\n"
        );
        let _ = writeln!(
            o,
            "This is the contract between an Owncast host and a plugin, for every language. It is defined in WIT \
             (package `{}`, world `plugin`); native plugins are WebAssembly components of that world. Legacy plugins \
             (Extism core modules, e.g. built by extism-js) speak the same contract as JSON through Extism's \
             input/output buffers: every WIT record becomes a JSON object whose keys are the record's field names in \
             camelCase (`display-name` is `displayName`), `option` fields may be left out or `null`, and \
             `list<tuple<string, string>>` headers are a JSON object of name to value.\n",
            self.package_name()
        );
        let world = self.world();
        let _ = writeln!(o, "## Plugin exports\n\n{}\n", docs(&world.docs));
        let _ = writeln!(o, "| WIT export | legacy Extism export | legacy input (JSON) | legacy output (JSON) |\n|---|---|---|---|");
        for (k, item) in &world.exports {
            if let (WorldKey::Name(_), WorldItem::Function(f)) = (k, item) {
                let (legacy, input, output) = match f.name.as_str() {
                    "register" => ("register", "none", "`Registration`"),
                    "on-event" => ("on_event", "`{eventType, payload}`", "none"),
                    "on-filter" => ("on_filter", "`{eventType, payload}`", "`{action: \"pass\" \\| \"modify\" \\| \"drop\", payload?, reason?}`"),
                    "on-http-request" => ("on_http_request", "`HttpRequest`", "`HttpResponse`"),
                    _ => ("", "", ""),
                };
                let _ = writeln!(o, "| `{}` — {} | `{legacy}` | {input} | {output} |", self.signature(f), one_line(&f.docs));
            }
        }
        let _ = writeln!(
            o,
            "\nA legacy event payload is the JSON of the event's record (below); a custom event's payload is any JSON \
             value (in WIT, `custom-event.payload-json` holds it as text). A filter's `modify` payload replaces the \
             event's payload and keeps its type.\n"
        );

        let _ = writeln!(o, "## Host interfaces and permissions\n");
        let _ = writeln!(
            o,
            "Every interface but `log` and `config` is opened by a permission of the manifest. The host links only \
             what the manifest declares and the admin approved: a component importing anything else, or a legacy \
             module importing an ungranted `owncast_*` function, is refused at load with the import and the \
             permission named. In the legacy ABI every string or JSON argument and result is an Extism memory \
             offset (`i64`); a result of `0` means none.\n"
        );
        for (name, id) in self.imported_interfaces().into_iter().filter(|(n, _)| n != "types") {
            let iface = &self.resolve.interfaces[id];
            let perms: Vec<String> = CAPABILITIES
                .iter()
                .filter(|c| c.interface == Some(name.as_str()))
                .map(|c| format!("`{}`", c.permission.name()))
                .collect();
            let perm = if perms.is_empty() { "no permission".to_string() } else { format!("permission {}", perms.join(", ")) };
            let _ = writeln!(o, "### `{name}` — {perm}\n\n{}\n", docs(&iface.docs));
            if iface.functions.is_empty() {
                continue;
            }
            let _ = writeln!(o, "| WIT function | permission | legacy host function |\n|---|---|---|");
            for f in iface.functions.values() {
                let p = match permissions::for_wit_function(&name, &f.name) {
                    Ok(Some(p)) => format!("`{p}`"),
                    _ => "—".into(),
                };
                let legacy = permissions::legacy_name(&name, &f.name).map(|l| format!("`{l}`")).unwrap_or("—".into());
                let d = one_line(&f.docs);
                let sig = self.signature(f);
                let _ = writeln!(o, "| `{sig}`{} | {p} | {legacy} |", if d.is_empty() { String::new() } else { format!(" — {d}") });
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(
            o,
            "### Outbound HTTP — permission `network.fetch`\n\nComponents import `wasi:http/outgoing-handler`; legacy \
             modules call Extism's `http_request`. Either way the host allows only hosts matching the manifest's \
             `network.allowedHosts` globs (`*` matches any run of characters; `\"*\"` alone, written out, allows every \
             host) and caps bodies.\n"
        );

        let _ = writeln!(o, "## Types\n");
        let types = &self.resolve.interfaces[self.interface("types").expect("types")];
        for (name, id) in &types.types {
            let td = &self.resolve.types[*id];
            let _ = writeln!(o, "### `{name}` (JSON `{}`)\n\n{}\n", pascal(name), docs(&td.docs));
            match &td.kind {
                TypeDefKind::Record(r) => {
                    let _ = writeln!(o, "| field | WIT type | JSON key | JSON type |\n|---|---|---|---|");
                    for f in &r.fields {
                        let d = one_line(&f.docs);
                        let _ = writeln!(
                            o,
                            "| `{}` | `{}` | `{}` | `{}` |{}",
                            f.name,
                            self.wit_type(&f.ty),
                            camel(&f.name),
                            self.ts_type(&f.ty).replace('|', "\\|"),
                            if d.is_empty() { String::new() } else { format!(" {d} |") }
                        );
                    }
                }
                TypeDefKind::Variant(v) => {
                    let is_event = name == "event";
                    let _ = writeln!(o, "| case | {} | payload |\n|---|---|---|", if is_event { "event type" } else { "JSON" });
                    for c in &v.cases {
                        let payload = c.ty.as_ref().map(|t| format!("`{}`", self.wit_type(t))).unwrap_or("—".into());
                        let second = if is_event {
                            if c.name == "custom" { "any other name".to_string() } else { format!("`{}`", c.name.replace('-', ".")) }
                        } else {
                            match c.name.as_str() {
                                "pass" => "`{\"action\": \"pass\"}`".into(),
                                "modify" => "`{\"action\": \"modify\", \"payload\": …}`".into(),
                                "drop" => "`{\"action\": \"drop\", \"reason\": …}`".into(),
                                other => format!("`{other}`"),
                            }
                        };
                        let _ = writeln!(o, "| `{}` | {second} | {payload} |", c.name);
                    }
                }
                TypeDefKind::Enum(e) => {
                    let _ = writeln!(o, "Values: {}", e.cases.iter().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", "));
                }
                _ => {}
            }
            let _ = writeln!(o);
        }
        o
    }

    /// TypeScript declarations of the JSON shapes (`sdks/js/types/contract.d.ts`).
    pub fn typescript(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "// Generated from wit/ by `owncast-plugin contract --ts`. Do not edit by hand.");
        let _ = writeln!(o, "// The JSON shapes of the {} records (camelCase keys).\n", self.package_name());
        let types = &self.resolve.interfaces[self.interface("types").expect("types")];
        let mut event_cases = Vec::new();
        for (name, id) in &types.types {
            let td = &self.resolve.types[*id];
            let d = docs(&td.docs);
            match &td.kind {
                TypeDefKind::Record(r) => {
                    if !d.is_empty() {
                        let _ = writeln!(o, "/** {} */", d.replace('\n', " "));
                    }
                    let _ = writeln!(o, "export interface {} {{", pascal(name));
                    for f in &r.fields {
                        let fd = one_line(&f.docs);
                        if !fd.is_empty() {
                            let _ = writeln!(o, "  /** {fd} */");
                        }
                        let optional = matches!(&f.ty, Type::Id(t) if matches!(self.resolve.types[*t].kind, TypeDefKind::Option(_)));
                        let _ = writeln!(o, "  {}{}: {};", camel(&f.name), if optional { "?" } else { "" }, self.ts_type(&f.ty));
                    }
                    let _ = writeln!(o, "}}\n");
                }
                TypeDefKind::Variant(v) if name == "event" => {
                    for c in &v.cases {
                        if let (false, Some(t)) = (c.name == "custom", &c.ty) {
                            event_cases.push((c.name.replace('-', "."), self.ts_type(t)));
                        }
                    }
                }
                TypeDefKind::Enum(e) => {
                    let vals: Vec<String> = e.cases.iter().map(|c| format!("\"{}\"", c.name)).collect();
                    let _ = writeln!(o, "export type {} = {};\n", pascal(name), vals.join(" | "));
                }
                _ => {}
            }
        }
        let _ = writeln!(o, "/** Built-in event types and their payloads. */\nexport interface EventPayloads {{");
        for (t, p) in &event_cases {
            let _ = writeln!(o, "  \"{t}\": {p};");
        }
        let _ = writeln!(o, "}}\n");
        let _ = writeln!(o, "export type BuiltinEventType = keyof EventPayloads;\n");
        let _ = writeln!(
            o,
            "/** The legacy `on_event`/`on_filter` input. */\nexport type EventEnvelope =\n  | {{ [K in BuiltinEventType]: {{ eventType: K; payload: EventPayloads[K] }} }}[BuiltinEventType]\n  | {{ eventType: string; payload: unknown }};\n"
        );
        let _ = writeln!(
            o,
            "/** The legacy `on_filter` output. */\nexport type FilterResultJson =\n  | {{ action: \"pass\" }}\n  | {{ action: \"modify\"; payload: unknown }}\n  | {{ action: \"drop\"; reason?: string }};"
        );
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::*;
    use serde_json::Value;

    fn contract() -> Contract {
        Contract::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../wit")).unwrap()
    }

    fn json_keys<T: serde::Serialize>(v: &T) -> Vec<String> {
        match serde_json::to_value(v).unwrap() {
            Value::Object(m) => m.keys().cloned().collect(),
            other => panic!("not an object: {other}"),
        }
    }

    macro_rules! pins {
        ($($t:ty),* $(,)?) => {
            vec![$( (<$t as WitRecord>::WIT_NAME, <$t as WitRecord>::WIT_FIELDS, {
                // Every optional field set so that none is skipped in JSON.
                let mut v = serde_json::to_value(<$t>::default()).unwrap();
                for f in <$t as WitRecord>::WIT_FIELDS {
                    let k = camel(f);
                    if v.get(&k).is_none() { v[&k] = Value::String(String::new()); }
                }
                v.as_object().unwrap().keys().cloned().collect::<Vec<_>>()
            }) ),*]
        };
    }

    /// WIT is the single source of truth: each Rust record names the same
    /// fields, in the same order, as its WIT record, and its JSON keys are
    /// exactly the camelCase field names.
    #[test]
    fn wit_pins_json() {
        let rust = pins!(
            User, ChatMessage, ChatUserEvent, NameChange, MessageModeration, StreamInfo, StreamTitleChange,
            SseConnection, FediverseActor, FediverseEngagement, CustomEvent, NotifySubscription, FilterSubscription,
            Subscriptions, Registration, HttpRequest, HttpResponse, OpResult, ChatClient, Broadcaster, ServerInfo,
            SocialHandle, FederationInfo, VideoVariant, VideoConfig, VideoConfigUpdate, BrowserPush, UrlResult,
            ActionButton,
        );
        let wit = contract().records();
        assert_eq!(wit.len(), rust.len(), "every WIT record has a Rust type in the pin list");
        for (name, fields) in &wit {
            let (_, rust_fields, json) = rust.iter().find(|(n, _, _)| n == name).unwrap_or_else(|| panic!("no Rust type for {name}"));
            assert_eq!(rust_fields.to_vec(), *fields, "fields of {name}");
            let mut want: Vec<String> = fields.iter().map(|f| camel(f)).collect();
            let mut got = json.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want, "JSON keys of {name}");
        }
        // And a real value: a default User serializes with every key.
        assert!(json_keys(&User::default()).contains(&"displayName".to_string()));
    }

    #[test]
    fn committed_wire_protocol_is_current() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/WIRE_PROTOCOL.md");
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == contract().markdown(),
            "docs/WIRE_PROTOCOL.md is stale: run `owncast-plugin contract --md docs/WIRE_PROTOCOL.md`"
        );
    }

    #[test]
    fn every_world_import_is_documented_with_its_permission() {
        let md = contract().markdown();
        for c in CAPABILITIES {
            if let Some(i) = c.interface {
                assert!(md.contains(&format!("### `{i}` — permission")), "{i}");
            }
        }
        assert!(md.contains("| `send: func(body: string)` — A normal chat message. | `chat.send` | `owncast_send_chat` |"), "{md}");
    }

    #[test]
    fn typescript_has_every_record() {
        let ts = contract().typescript();
        for (name, _) in contract().records() {
            assert!(ts.contains(&format!("export interface {} {{", pascal(&name))), "{name}");
        }
        assert!(ts.contains("displayName: string;"));
        assert!(ts.contains("\"chat.message.received\": ChatMessage;"));
    }
}
