//! The WIT contract as data: the wire-protocol document and the TypeScript
//! declarations of the JSON shapes are generated from `wit/` here, so they
//! cannot drift from it (`owncast-plugin contract --md/--ts`; tests compare
//! the committed files with a fresh rendering). The document also renders
//! what lives outside `wit/`, each from its one source: the permissions and
//! the JS SDK names of [`crate::permissions`]' declarations, and, passed in
//! as [`Sources`] by crates this one cannot depend on, the legacy shim's
//! host functions (their signatures and JSON shapes) and the host's limits.

use crate::permissions::{self, CAPABILITIES, UNGATED_INTERFACES};
use std::fmt::Write;
use std::path::Path;
use wit_parser::{Docs, Function, InterfaceId, Resolve, Type, TypeDefKind, TypeId, WorldItem, WorldKey};

/// How a legacy (Extism) host function passes an argument or its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyValue {
    /// An Extism memory offset (`i64`) holding text, bytes or JSON; `0` is none.
    Offset,
    /// An integer by value, `i64`.
    I64,
    /// An integer by value, `i32`.
    I32,
    /// No result.
    Unit,
}

/// A legacy `owncast_*` host function as the shim implements it.
#[derive(Debug, Clone)]
pub struct LegacyFunction {
    pub name: &'static str,
    /// E.g. `(i64, i64) -> i64`.
    pub signature: String,
    pub args: Vec<LegacyValue>,
    pub result: LegacyValue,
    /// The JSON shape of the arguments where they are not the WIT function's
    /// parameters one to one; otherwise derived from WIT.
    pub input: Option<&'static str>,
    /// The JSON shape of the result where it is not the WIT result's.
    pub output: Option<&'static str>,
}

/// What the wire-protocol document renders from outside this crate (which
/// has no engine): the legacy shim's host functions
/// (`owncast_plugin_host::capabilities::legacy::all`, each capability's `legacy!` table), the host's default
/// limits (`owncast_plugin_host::runtime::Limits`, as `(field, value)`) and
/// the scenario format's keys (`owncast_plugin_scenario`).
#[derive(Debug, Clone, Default)]
pub struct Sources {
    pub legacy: Vec<LegacyFunction>,
    pub limits: Vec<(String, String)>,
    /// `(where, keys)`: each object of the scenario format and its keys.
    pub scenario: Vec<(String, Vec<String>)>,
}

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

/// The legacy (Extism) name of a WIT export: `on-http-request` is `on_http_request`.
pub fn legacy_export(wit: &str) -> String {
    wit.replace('-', "_")
}

/// The JS SDK's handler of a WIT export (a `definePlugin` key, e.g.
/// `onHttpRequest`); `register`, `on-event` and `on-filter` are answered by
/// `definePlugin` itself and the event handlers.
pub fn js_export_name(wit: &str) -> Option<String> {
    (!["register", "on-event", "on-filter"].contains(&wit)).then(|| camel(wit))
}

fn js_export(wit: &str) -> String {
    js_export_name(wit).map(|n| format!("`{n}`")).unwrap_or_else(|| "—".into())
}

/// Text for a Markdown table cell.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
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

    /// The fields of a record of the `types` interface with their WIT types
    /// (`option<list<string>>`, a record's name, ...).
    pub fn record_fields(&self, record: &str) -> Option<Vec<(String, String)>> {
        let iface = &self.resolve.interfaces[self.interface("types")?];
        let id = iface.types.get(record)?;
        match &self.resolve.types[*id].kind {
            TypeDefKind::Record(r) => Some(r.fields.iter().map(|f| (f.name.clone(), self.wit_type(&f.ty))).collect()),
            _ => None,
        }
    }

    /// The cases of the `event` variant with their payload types.
    pub fn event_cases(&self) -> Vec<(String, Option<String>)> {
        let iface = &self.resolve.interfaces[self.interface("types").expect("types interface")];
        match &self.resolve.types[iface.types["event"]].kind {
            TypeDefKind::Variant(v) => {
                v.cases.iter().map(|c| (c.name.clone(), c.ty.as_ref().map(|t| self.wit_type(t)))).collect()
            }
            _ => Vec::new(),
        }
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
            TypeDefKind::Tuple(t) => {
                format!("tuple<{}>", t.types.iter().map(|t| self.wit_type(t)).collect::<Vec<_>>().join(", "))
            }
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
                        Type::Id(tid) if matches!(self.resolve.types[*tid].kind, TypeDefKind::Tuple(_)) => {
                            "Record<string, string>".into()
                        }
                        t => {
                            let s = self.ts_type(t);
                            if s.contains(' ') {
                                format!("Array<{s}>")
                            } else {
                                format!("{s}[]")
                            }
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

    /// The functions world `world` exports, in order.
    pub fn exports(&self, world: &str) -> Vec<&Function> {
        let id = self.resolve.packages[self.package].worlds[world];
        self.resolve.worlds[id]
            .exports
            .iter()
            .filter_map(|(k, item)| match (k, item) {
                (WorldKey::Name(_), WorldItem::Function(f)) => Some(f),
                _ => None,
            })
            .collect()
    }

    /// A legacy export's input: its one parameter's JSON, or none.
    fn export_input(&self, f: &Function) -> String {
        match f.params.first() {
            None => "none".into(),
            Some(p) => self.json_value(&p.ty),
        }
    }

    fn export_output(&self, f: &Function) -> String {
        f.result.as_ref().map(|t| self.json_value(t)).unwrap_or_else(|| "none".into())
    }

    /// A JSON value of WIT type `t`: its TypeScript name, and a record's keys.
    fn json_value(&self, t: &Type) -> String {
        match self.json_shape(t) {
            Some(shape) => format!("`{}` `{shape}`", self.ts_type(t)),
            None => format!("`{}`", self.ts_type(t)),
        }
    }

    /// Whether `t` is `list<u8>` (bytes; in the legacy ABI the raw bytes).
    fn is_bytes(&self, t: &Type) -> bool {
        match t {
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::List(Type::U8) => true,
                TypeDefKind::Type(t) => self.is_bytes(t),
                _ => false,
            },
            _ => false,
        }
    }

    /// A value of WIT type `t` in a legacy memory offset.
    fn offset_value(&self, t: &Type) -> String {
        if self.is_bytes(t) {
            return "bytes".into();
        }
        match t {
            Type::String => "text".into(),
            Type::Id(id) => match &self.resolve.types[*id].kind {
                TypeDefKind::Option(inner) => format!("{}, or 0 when none", self.offset_value(inner)),
                TypeDefKind::Result(r) => format!(
                    "{}, or `{{error}}`",
                    r.ok.as_ref().map(|t| self.offset_value(t)).unwrap_or_else(|| "`{}`".into())
                ),
                TypeDefKind::Type(inner) => self.offset_value(inner),
                _ => format!("`{}`", self.ts_type(t)),
            },
            other => format!("`{}`", self.ts_type(other)),
        }
    }

    /// The legacy arguments of WIT function `f`, one per WIT parameter.
    fn legacy_input(&self, f: &Function, args: &[LegacyValue]) -> String {
        if args.is_empty() {
            return "none".into();
        }
        let each = args.iter().enumerate().map(|(i, a)| {
            let Some(p) = f.params.get(i) else { return format!("{}: unused", i + 1) };
            let what = match (a, &p.ty) {
                (LegacyValue::Offset, t) => self.offset_value(t),
                (_, Type::Bool) => "1 or 0".into(),
                (LegacyValue::I32, _) => "i32".into(),
                _ => "i64".into(),
            };
            format!("`{}`: {what}", p.name)
        });
        each.collect::<Vec<_>>().join("; ")
    }

    /// The legacy result of WIT function `f`.
    fn legacy_output(&self, f: &Function, result: LegacyValue) -> String {
        match (result, &f.result) {
            (LegacyValue::Unit, _) | (_, None) => "none".into(),
            (LegacyValue::Offset, Some(t)) => self.offset_value(t),
            (_, Some(Type::Bool)) => "1 or 0".into(),
            (_, Some(_)) => "integer".into(),
        }
    }

    /// The JSON object of a named WIT record, e.g. `{slug, user?}` (`?`: an
    /// `option` field, which may be left out).
    pub fn json_shape(&self, t: &Type) -> Option<String> {
        let Type::Id(id) = t else { return None };
        match &self.resolve.types[*id].kind {
            TypeDefKind::Record(r) => {
                let keys: Vec<String> = r
                    .fields
                    .iter()
                    .map(|f| {
                        let optional = matches!(&f.ty, Type::Id(t) if matches!(self.resolve.types[*t].kind, TypeDefKind::Option(_)));
                        format!("{}{}", camel(&f.name), if optional { "?" } else { "" })
                    })
                    .collect();
                Some(format!("{{{}}}", keys.join(", ")))
            }
            TypeDefKind::Type(t) => self.json_shape(t),
            _ => None,
        }
    }

    /// A named type of the `types` interface.
    fn types_type(&self, name: &str) -> Option<Type> {
        let iface = &self.resolve.interfaces[self.interface("types")?];
        iface.types.get(name).map(|id| Type::Id(*id))
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
    /// The JS engine's `owncast_*` imports (`sdks/js/engine/src/host_imports.rs`):
    /// one `host_functions!` line per legacy function, in the order given,
    /// with the contract's signature (offsets and `i64` as `u64`, `i32` as
    /// `i32`) and the WIT function's parameter names.
    pub fn engine_imports(&self, legacy: &[LegacyFunction]) -> String {
        let mut o = String::from(
            "// Generated by `owncast-plugin contract --engine-imports` from the host's\n\
             // legacy functions (each capability's `legacy!` table) and wit/. Do not edit:\n\
             // a capability's legacy function appears here when it is declared.\n\n\
             host_functions! {\n",
        );
        let mut group = None;
        for l in legacy {
            let Some(&(iface, func, _)) = permissions::LEGACY_NAMES.iter().find(|(_, _, n)| *n == l.name) else {
                continue;
            };
            let heading = match permissions::for_legacy_function(l.name) {
                Ok(Some(p)) => p.name().to_string(),
                _ => "ambient: every plugin".to_string(),
            };
            if group.as_ref() != Some(&heading) {
                let _ = writeln!(o, "    // {heading}");
                group = Some(heading);
            }
            let wit_params: Vec<String> = self
                .interface(iface)
                .and_then(|id| self.resolve.interfaces[id].functions.get(func))
                .map(|f| f.params.iter().map(|p| p.name.replace('-', "_")).collect())
                .unwrap_or_default();
            // The WIT function's parameters where the legacy function takes
            // them one to one; otherwise the name its input shape gives
            // (`message` for `log(level, message)`, one function per level),
            // or `request` for a JSON object.
            let names: Vec<String> = if wit_params.len() == l.args.len() {
                wit_params
            } else {
                let named = l.input.and_then(|s| s.strip_prefix('`')?.split_once('`')).map(|(n, _)| n);
                (1..=l.args.len())
                    .map(|i| match named {
                        Some(n) if l.args.len() == 1 && n.chars().all(|c| c.is_ascii_lowercase()) => n.to_string(),
                        Some(n) if l.args.len() == 1 && n.starts_with('{') => "request".to_string(),
                        _ => format!("arg{i}"),
                    })
                    .collect()
            };
            let args: Vec<String> = l
                .args
                .iter()
                .zip(&names)
                .map(|(a, n)| {
                    let n = if matches!(n.as_str(), "type" | "ref" | "fn" | "self" | "use" | "mod") {
                        format!("{n}_")
                    } else {
                        n.clone()
                    };
                    let ty = if *a == LegacyValue::I32 { "i32" } else { "u64" };
                    format!("{n}: {ty}")
                })
                .collect();
            let ret = if l.result == LegacyValue::Unit { "()" } else { "u64" };
            let _ = writeln!(o, "    fn {}({}) -> {ret};", l.name, args.join(", "));
        }
        o.push_str("}\n");
        o
    }

    pub fn markdown(&self, sources: &Sources) -> String {
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
        let _ = writeln!(
            o,
            "| WIT export | JS SDK | legacy Extism export | legacy input (JSON) | legacy output (JSON) |\n\
             |---|---|---|---|---|"
        );
        for f in self.exports("plugin") {
            let (input, output) = match f.name.as_str() {
                "on-event" => ("`{eventType, payload}`".to_string(), "none".to_string()),
                "on-filter" => (
                    "`{eventType, payload}`".into(),
                    "`{action: \"pass\" \\| \"modify\" \\| \"drop\", payload?, reason?}`".into(),
                ),
                _ => (self.export_input(f), self.export_output(f)),
            };
            let _ = writeln!(
                o,
                "| `{}` — {} | {} | `{}` | {input} | {output} |",
                self.signature(f),
                one_line(&f.docs),
                js_export(&f.name),
                legacy_export(&f.name)
            );
        }
        let _ = writeln!(
            o,
            "\nA legacy event payload is the JSON of the event's record (see Events); a custom event's payload is any \
             JSON value (in WIT, `custom-event.payload-json` holds it as text). A filter's `modify` payload replaces \
             the event's payload and keeps its type. In the JS SDK, `definePlugin` builds `register`'s answer and its \
             event handlers (Events) are `on-event` and `on-filter`.\n"
        );
        let page_id = self.resolve.packages[self.package].worlds["page-content"];
        let page = &self.resolve.worlds[page_id];
        let _ = writeln!(o, "### Optional exports (world `page-content`)\n\n{}\n", docs(&page.docs));
        let _ = writeln!(
            o,
            "| WIT export | JS SDK | legacy Extism export | legacy input (JSON) | legacy output |\n|---|---|---|---|---|"
        );
        for f in self.exports("page-content") {
            let output = if f.name.ends_with("styles") {
                "CSS text"
            } else if f.name.ends_with("scripts") {
                "JavaScript text"
            } else {
                "HTML text"
            };
            let _ = writeln!(
                o,
                "| `{}` — {} | {} | `{}` | {} | {output} |",
                self.signature(f),
                one_line(&f.docs),
                js_export(&f.name),
                legacy_export(&f.name),
                self.export_input(f)
            );
        }
        let _ = writeln!(
            o,
            "\n`register`'s `commands` declare chat commands: the host matches each chat message the filters let \
             through (after its notification) against every plugin's declarations and delivers a match to `on-event` \
             as the custom event `chat.command` with the JSON payload `{{message, command, invokedAs, args, \
             argString}}`; `!help` is answered by the host from the declarations.\n"
        );

        let _ = writeln!(o, "## Host interfaces and permissions\n");
        let ungated: Vec<String> =
            UNGATED_INTERFACES.iter().filter(|i| **i != "types").map(|i| format!("`{i}`")).collect();
        let _ = writeln!(
            o,
            "Every interface but {} is opened by a permission of the manifest. The host links only \
             what the manifest declares and the admin approved: a component importing anything else, or a legacy \
             module importing an ungranted `owncast_*` function, is refused at load with the import and the \
             permission named. In the legacy ABI every string or JSON argument and result is an Extism memory \
             offset (`i64`); a result of `0` means none.\n",
            ungated.join(", ")
        );
        for (name, id) in self.imported_interfaces().into_iter().filter(|(n, _)| n != "types") {
            let iface = &self.resolve.interfaces[id];
            let perms: Vec<String> = CAPABILITIES
                .iter()
                .filter(|c| c.interface == Some(name.as_str()))
                .map(|c| format!("`{}`", c.permission.name()))
                .collect();
            let perm =
                if perms.is_empty() { "no permission".to_string() } else { format!("permission {}", perms.join(", ")) };
            let _ = writeln!(o, "### `{name}` — {perm}\n\n{}\n", docs(&iface.docs));
            if iface.functions.is_empty() {
                continue;
            }
            let _ = writeln!(
                o,
                "| WIT function | permission | JS SDK | legacy host function | legacy input (JSON) | legacy output (JSON) |\n\
                 |---|---|---|---|---|---|"
            );
            for f in iface.functions.values() {
                let p = match permissions::for_wit_function(&name, &f.name) {
                    Ok(Some(p)) => format!("`{p}`"),
                    _ => "—".into(),
                };
                let d = one_line(&f.docs);
                let sig = self.signature(f);
                let doc = if d.is_empty() { String::new() } else { format!(" — {d}") };
                // One row per legacy function (`log#log` has one per level).
                let mut legacy = permissions::legacy_names(&name, &f.name).peekable();
                if legacy.peek().is_none() {
                    let _ = writeln!(o, "| `{sig}`{doc} | {p} | — | — | — | — |");
                }
                for n in legacy {
                    let js = format!("`owncast.{}`", permissions::js_name(&name, &f.name, n));
                    let (legacy_cell, input, output) = match sources.legacy.iter().find(|x| x.name == n) {
                        Some(l) => (
                            format!("`{}{}`", l.name, l.signature),
                            l.input.map(str::to_string).unwrap_or_else(|| self.legacy_input(f, &l.args)),
                            l.output.map(str::to_string).unwrap_or_else(|| self.legacy_output(f, l.result)),
                        ),
                        None => (format!("`{n}`"), "—".into(), "—".into()),
                    };
                    let _ = writeln!(
                        o,
                        "| `{sig}`{doc} | {p} | {js} | {legacy_cell} | {} | {} |",
                        cell(&input),
                        cell(&output)
                    );
                }
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

        self.events_section(&mut o);
        self.http_section(&mut o, sources);
        manifest_section(&mut o);
        limits_section(&mut o, sources);
        scenario_section(&mut o, sources);
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
                    let _ = writeln!(
                        o,
                        "| case | {} | payload |\n|---|---|---|",
                        if is_event { "event type" } else { "JSON" }
                    );
                    for c in &v.cases {
                        let payload = c.ty.as_ref().map(|t| format!("`{}`", self.wit_type(t))).unwrap_or("—".into());
                        let second = if is_event {
                            if c.name == "custom" {
                                "any other name".to_string()
                            } else {
                                format!("`{}`", c.name.replace('-', "."))
                            }
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
                    let _ = writeln!(
                        o,
                        "Values: {}",
                        e.cases.iter().map(|c| format!("`{}`", c.name)).collect::<Vec<_>>().join(", ")
                    );
                }
                _ => {}
            }
            let _ = writeln!(o);
        }
        o
    }

    /// `## Events`: each event type, its payload and the permissions it needs.
    fn events_section(&self, o: &mut String) {
        let _ = writeln!(o, "## Events\n");
        let Some(Type::Id(id)) = self.types_type("event") else { return };
        let td = &self.resolve.types[id];
        let _ = writeln!(o, "{}\n", docs(&td.docs));
        let TypeDefKind::Variant(v) = &td.kind else { return };
        let _ = writeln!(
            o,
            "| event type | WIT case | JS SDK handler | payload (JSON) | to subscribe | to filter |\n\
             |---|---|---|---|---|---|"
        );
        for c in &v.cases {
            let (event, payload) = if c.name == "custom" {
                ("any other name".to_string(), "any JSON value".to_string())
            } else {
                (
                    format!("`{}`", c.name.replace('-', ".")),
                    c.ty.as_ref().map(|t| self.json_value(t)).unwrap_or_default(),
                )
            };
            let event_type = c.name.replace('-', ".");
            let perm = |p: Option<crate::permissions::Permission>| p.map(|p| format!("`{p}`")).unwrap_or("—".into());
            let filter = if c.name == "custom" { "—".into() } else { perm(permissions::for_filter(&event_type)) };
            let notify = match permissions::for_notify(&event_type) {
                _ if c.name == "custom" => "—".into(),
                Some(permissions::NotifyGate::Refused(p)) => format!("`{p}`"),
                Some(permissions::NotifyGate::Advised(p)) => format!("`{p}` (advised: without it no connection opens)"),
                None => "—".into(),
            };
            let js = match c.name.as_str() {
                "custom" => "`on: {\"<type>\": fn}`".to_string(),
                _ => {
                    let notify = format!("`{}`", crate::event::js_handler(&event_type));
                    match crate::event::js_filter_handler(&event_type) {
                        Some(f) => format!("{notify}, `{f}`"),
                        None => notify,
                    }
                }
            };
            let _ = writeln!(o, "| {event} | `{}` | {js} | {} | {notify} | {filter} |", c.name, cell(&payload));
        }
        let _ = writeln!(o);
    }

    /// `## HTTP envelope`: what `on-http-request` gets and answers.
    fn http_section(&self, o: &mut String, sources: &Sources) {
        let _ = writeln!(o, "## HTTP envelope\n");
        let Some(f) = self.exports("plugin").into_iter().find(|f| f.name == "on-http-request") else { return };
        let _ = writeln!(
            o,
            "Permission `http.serve`. {} The host calls `{}` (legacy `{}`, JS SDK `{}`) with the request as JSON and \
             reads the response from its output; see the records `http-request` and `http-response` under Types for \
             each field.\n",
            one_line(&f.docs),
            f.name,
            legacy_export(&f.name),
            js_export_name(&f.name).unwrap_or_default()
        );
        let _ = writeln!(o, "- request: {}", self.export_input(f));
        let _ = writeln!(o, "- response: {}", self.export_output(f));
        let limit = |name: &str| sources.limits.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        for (name, what) in [
            ("http_body_bytes", "largest request body a plugin receives"),
            ("http_response_bytes", "largest response body it may answer"),
            ("http_deadline", "deadline of one request"),
            ("http_queue", "requests that may wait for a busy plugin before the host answers 503"),
        ] {
            if let Some(v) = limit(name) {
                let _ = writeln!(o, "- {what}: {v} (`{name}`)");
            }
        }
        let _ = writeln!(o);
    }

    /// TypeScript declarations of the JSON shapes    /// TypeScript declarations of the JSON shapes (`sdks/js/types/contract.d.ts`).
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
                        let _ = writeln!(
                            o,
                            "  {}{}: {};",
                            camel(&f.name),
                            if optional { "?" } else { "" },
                            self.ts_type(&f.ty)
                        );
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

/// `## Manifest`: every key of `plugin.manifest.json` ([`crate::manifest::FIELDS`]).
fn manifest_section(o: &mut String) {
    use crate::manifest::{EXTRA_SANDBOX_TOKENS, FIELDS, MAX_MANIFEST_BYTES};
    let _ = writeln!(
        o,
        "## Manifest\n\n`plugin.manifest.json`, next to the plugin's code (`<slug>.wasm`), its optional `public/` \
         (served under `/plugins/<slug>/`) and `assets/` (never served; UI files and `assets.read`). A JSON object of \
         at most {} KiB; the keys this host reads (others are ignored); an error names the file and the key:\n",
        MAX_MANIFEST_BYTES >> 10
    );
    let _ = writeln!(o, "| key | holds |\n|---|---|");
    for (key, what) in FIELDS {
        let _ = writeln!(o, "| `{key}` | {} |", cell(what));
    }
    let tokens: Vec<String> = EXTRA_SANDBOX_TOKENS.iter().map(|t| format!("`{t}`")).collect();
    let _ = writeln!(o, "\nSandbox tokens a manifest may add: {}.\n", tokens.join(", "));
}

/// `## Limits and deadlines`: the host's default limits.
fn limits_section(o: &mut String, sources: &Sources) {
    if sources.limits.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "## Limits and deadlines\n\nThe host's defaults (`owncast_plugin_host::runtime::Limits`; an embedder may \
         change them). A call past its deadline is stopped and counts as a failure; a filter fails open; after \
         `max_strikes` consecutive failures the plugin is disabled. Limits of single host functions (SQL, timers, \
         assets, emit depth) are in their interfaces' notes above.\n"
    );
    let _ = writeln!(o, "| limit | default |\n|---|---|");
    for (name, value) in &sources.limits {
        let _ = writeln!(o, "| `{name}` | {value} |");
    }
    let _ = writeln!(o);
}

/// `## Scenario format`: every object of a scenario file and its keys.
fn scenario_section(o: &mut String, sources: &Sources) {
    if sources.scenario.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "## Scenario format\n\nA plugin's tests, `__tests__/*.test.json` (upstream's format, run by \
         `owncast-plugin test`; docs/SCENARIOS.md explains each step): a JSON array of cases. Every key each \
         object accepts (an unknown key is an error naming the file and the path):\n"
    );
    let _ = writeln!(o, "| object | keys |\n|---|---|");
    for (at, keys) in &sources.scenario {
        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        let _ = writeln!(o, "| {at} | {} |", keys.join(", "));
    }
    let _ = writeln!(o);
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

    /// A Rust record's WIT name and fields, the JSON keys its default
    /// value is written with (none of the option fields) and the JSON keys
    /// with every option field set.
    struct Pin {
        name: &'static str,
        fields: &'static [&'static str],
        default_keys: Vec<String>,
        all_keys: Vec<String>,
    }

    macro_rules! pins {
        ($($t:ty),* $(,)?) => {
            vec![$( {
                let default = serde_json::to_value(<$t>::default()).unwrap();
                let default_keys: Vec<String> = default.as_object().unwrap().keys().cloned().collect();
                // Every optional field set so that none is skipped in JSON.
                let mut v = default.clone();
                for f in <$t as WitRecord>::WIT_FIELDS {
                    let k = camel(f);
                    if v.get(&k).is_none() { v[&k] = Value::String(String::new()); }
                }
                Pin {
                    name: <$t as WitRecord>::WIT_NAME,
                    fields: <$t as WitRecord>::WIT_FIELDS,
                    default_keys,
                    all_keys: v.as_object().unwrap().keys().cloned().collect(),
                }
            } ),*]
        };
    }

    fn all_pins() -> Vec<Pin> {
        pins!(
            ChatUser,
            ChatMessage,
            ChatUserRename,
            ChatMessageModeration,
            StreamLifecycle,
            StreamTitleChange,
            SseConnection,
            FediverseActor,
            FediverseTarget,
            FediverseEngagement,
            FediverseAttachment,
            FediversePost,
            FediverseQuote,
            CustomEvent,
            NotifySubscription,
            FilterSubscription,
            Subscriptions,
            Registration,
            CommandInfo,
            ContentRequest,
            HttpRequest,
            HttpResponse,
            OpResult,
            User,
            ChatClient,
            StreamInfo,
            Broadcaster,
            ServerInfo,
            SocialHandle,
            Emote,
            FederationInfo,
            StreamVariant,
            VideoConfig,
            VideoConfigUpdate,
            BrowserPush,
            FediverseNotification,
            UrlResult,
            ActionButton,
        )
    }

    /// WIT is the single source of truth: each Rust record names the same
    /// fields, in the same order, as its WIT record, and its JSON keys are
    /// exactly the camelCase field names.
    #[test]
    fn wit_pins_json() {
        let rust = all_pins();
        let c = contract();
        let wit = c.records();
        assert_eq!(wit.len(), rust.len(), "every WIT record has a Rust type in the pin list");
        for (name, fields) in &wit {
            let pin = rust.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no Rust type for {name}"));
            assert_eq!(pin.fields.to_vec(), *fields, "fields of {name}");
            let mut want: Vec<String> = fields.iter().map(|f| camel(f)).collect();
            let mut got = pin.all_keys.clone();
            want.sort();
            got.sort();
            assert_eq!(got, want, "JSON keys of {name}");
            // Exactly the option fields are left out when none.
            let typed = c.record_fields(name).unwrap();
            for (f, ty) in typed {
                let written = pin.default_keys.contains(&camel(&f));
                assert_eq!(
                    !ty.starts_with("option<"),
                    written,
                    "{name}.{f} ({ty}) is written in JSON iff it is not an option"
                );
            }
        }
        // And a real value: a default User serializes with its required keys only.
        assert_eq!(json_keys(&User::default()), vec!["displayName".to_string(), "id".to_string()]);
    }

    #[test]
    fn every_world_import_is_documented_with_its_permission() {
        let md = contract().markdown(&Sources::default());
        for c in CAPABILITIES {
            if let Some(i) = c.interface {
                assert!(md.contains(&format!("### `{i}` — permission")), "{i}");
            }
        }
        assert!(
            md.contains(
                "| `send: func(body: string)` — A normal chat message. | `chat.send` | `owncast.chat.send` | \
                 `owncast_send_chat` | — | — |"
            ),
            "{md}"
        );
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

    /// Upstream's wire types and the records of `wit/types.wit` that carry
    /// them (upstream's one `User` is carried by both `user` and `chat-user`).
    const UPSTREAM_RECORDS: &[(&str, &str)] = &[
        ("User", "user"),
        ("User", "chat-user"),
        ("ChatMessage", "chat-message"),
        ("ChatClient", "chat-client"),
        ("ChatUserRename", "chat-user-rename"),
        ("ChatMessageModeration", "chat-message-moderation"),
        ("CommandInfo", "command-info"),
        ("IncomingHttpRequest", "http-request"),
        ("OutgoingHttpResponse", "http-response"),
        ("ContentRequest", "content-request"),
        ("StreamLifecycleEvent", "stream-lifecycle"),
        ("StreamTitleChange", "stream-title-change"),
        ("StreamInfo", "stream-info"),
        ("StreamBroadcaster", "broadcaster"),
        ("ServerInfo", "server-info"),
        ("SocialHandle", "social-handle"),
        ("Emote", "emote"),
        ("FederationInfo", "federation-info"),
        ("StreamVariant", "stream-variant"),
        ("VideoConfig", "video-config"),
        ("VideoConfigUpdate", "video-config-update"),
        ("FediverseActor", "fediverse-actor"),
        ("FediverseTarget", "fediverse-target"),
        ("FediverseEngagement", "fediverse-engagement"),
        ("FediverseAttachment", "fediverse-attachment"),
        ("FediverseInboundPost", "fediverse-post"),
        ("FediverseQuote", "fediverse-quote"),
        ("BrowserPushPayload", "browser-push"),
        ("FediversePayload", "fediverse-notification"),
        ("UploadResult", "url-result"),
        ("FsResult", "op-result"),
        ("SSEConnectionEvent", "sse-connection"),
    ];

    /// Upstream wire types without a record of `wit/types.wit`, and what
    /// carries each here.
    const CARRIED_OTHERWISE: &[(&str, &str)] = &[
        (
            "CommandEvent",
            "the custom event `chat.command` (built by the host's command router, contract/src/commands.rs)",
        ),
        ("TickEvent", "the custom event `tick`"),
        ("TimerFireEvent", "the custom event `timer.fire`"),
        ("UserRegisterRequest", "`users-register.user-registration` (wit/auth.wit); legacy JSON in compat-extism"),
        ("UserRegisterResult", "`users-register.register`'s `result<string, string>`; legacy JSON in compat-extism"),
        ("GrantSessionRequest", "`auth-gate.grant-session`'s parameters; legacy JSON in compat-extism"),
        ("AuthResult", "`auth-gate.grant-session`'s `result<_, string>`; legacy JSON in compat-extism"),
        ("AuthCheckRequest", "the `on-auth-check` export's parameter (wit/world.wit)"),
        (
            "SQLRequest",
            "`sql.exec` and `sql.query`'s parameters (wit/sql.wit); legacy JSON in host/src/services/sql.rs",
        ),
        ("SQLExecResult", "`sql.exec`'s `result<exec-result, string>`; legacy JSON in host/src/services/sql.rs"),
        ("SQLQueryResult", "`sql.query`'s `result<query-result, string>`; legacy JSON in host/src/services/sql.rs"),
    ];

    /// Upstream names this contract does not have yet, each with why. The
    /// test fails as soon as one of them exists here, so the list only shrinks.
    const NOT_HERE_YET: &[(&str, &str)] = &[];

    /// Deliberate differences, each with its reason (also in docs/MIGRATING.md).
    const KNOWN_DIFFERENCES: &[(&str, &str, &str)] = &[
        (
            "User",
            "displayColor",
            "an addition to the records, so an option: an Owncast integration that does not report a color \
             (the C ABI's and Go's User of earlier releases) keeps working; the simulated Owncast always sets it",
        ),
        ("StreamVariant", "cpuUsageLevel", "an addition to the record, so an option (as User.displayColor)"),
        ("VideoConfig", "autoplay", "an addition to the record, so an option (as User.displayColor)"),
        (
            "OutgoingHttpResponse",
            "status",
            "a component's WIT response always has a status; the legacy JSON may leave it out (200, as upstream)",
        ),
        ("OutgoingHttpResponse", "headers", "as status: always in WIT, optional in the legacy JSON (none)"),
        ("OutgoingHttpResponse", "body", "as status: always in WIT, optional in the legacy JSON (empty)"),
    ];

    fn upstream() -> Value {
        let text = include_str!("../tests/data/upstream-contract.json");
        serde_json::from_str(text).expect("upstream-contract.json is JSON")
    }

    fn ours(upstream_type: &str) -> Vec<&'static str> {
        UPSTREAM_RECORDS.iter().filter(|(u, _)| *u == upstream_type).map(|(_, o)| *o).collect()
    }

    /// Whether a WIT type (without its `option`) carries upstream's type.
    fn carries(up: &str, wit: &str) -> bool {
        const INTEGERS: &[&str] = &["u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64"];
        if let Some(inner) = up.strip_prefix("[]") {
            return wit.strip_prefix("list<").and_then(|w| w.strip_suffix('>')).is_some_and(|w| carries(inner, w));
        }
        match up {
            "string" => wit == "string",
            "bool" => wit == "bool",
            "number" => INTEGERS.contains(&wit),
            "map" => wit == "list<tuple<string, string>>",
            named => ours(named).contains(&wit),
        }
    }

    /// `(key, type, may be left out)` of an upstream wire type.
    fn upstream_fields(u: &Value, name: &str) -> Vec<(String, String, bool)> {
        u["wireTypes"][name]
            .as_object()
            .unwrap_or_else(|| panic!("upstream type {name} is not in the test data"))
            .iter()
            .map(|(f, t)| {
                let (f, optional) = f.strip_suffix('?').map(|f| (f, true)).unwrap_or((f, false));
                (f.to_string(), t.as_str().unwrap().to_string(), optional)
            })
            .collect()
    }

    /// The conformance test: every wire type of upstream's newest protocol is
    /// carried by a WIT record (or is named in `CARRIED_OTHERWISE` with what
    /// carries it) with the same fields, JSON keys, types and optionality, in
    /// WIT and in the JSON the host writes; our additions are optional. Every
    /// event carries its upstream payload's record. Permissions and legacy
    /// host-function names (with the permission that opens each) match.
    #[test]
    fn matches_upstream_plugin_contract() {
        let u = upstream();
        let c = contract();
        let pins = all_pins();
        let mut problems = Vec::new();
        let types = u["wireTypes"].as_object().unwrap();
        for name in types.keys() {
            let records = ours(name);
            let otherwise = CARRIED_OTHERWISE.iter().any(|(t, _)| t == name);
            if records.is_empty() != otherwise {
                problems.push(format!("upstream {name}: no record here and not in CARRIED_OTHERWISE, or both"));
            }
            for record in records {
                let pending = NOT_HERE_YET.iter().any(|(n, _)| n == name);
                let Some(fields) = c.record_fields(record) else {
                    if !pending {
                        problems.push(format!("{name}: no WIT record `{record}`"));
                    }
                    continue;
                };
                if pending {
                    problems.push(format!("{name} is here now: take it out of NOT_HERE_YET"));
                }
                let pin = pins.iter().find(|p| p.name == record).unwrap();
                let upstream = upstream_fields(&u, name);
                for (key, ty, optional) in &upstream {
                    let Some((field, wit)) = fields.iter().find(|(f, _)| camel(f) == *key) else {
                        problems.push(format!("{name}.{key}: `{record}` has no field `{key}`"));
                        continue;
                    };
                    let (base, is_option) = match wit.strip_prefix("option<").and_then(|w| w.strip_suffix('>')) {
                        Some(inner) => (inner, true),
                        None => (wit.as_str(), false),
                    };
                    if !carries(ty, base) {
                        problems.push(format!("{name}.{key}: upstream {ty}, here `{record}.{field}: {wit}`"));
                    }
                    if KNOWN_DIFFERENCES.iter().any(|(t, f, _)| *t == name && f == key) {
                        continue;
                    }
                    if is_option != *optional {
                        problems.push(format!(
                            "{name}.{key}: upstream {}, here `{record}.{field}: {wit}`",
                            if *optional { "may leave it out" } else { "always sends it" }
                        ));
                    }
                    if pin.default_keys.contains(key) == *optional {
                        problems.push(format!("{name}.{key}: the JSON the host writes does not match its optionality"));
                    }
                }
                for (field, wit) in &fields {
                    if !upstream.iter().any(|(k, _, _)| *k == camel(field)) && !wit.starts_with("option<") {
                        problems.push(format!(
                            "`{record}.{field}: {wit}` is an addition to upstream {name} and must be an option"
                        ));
                    }
                }
            }
        }
        for (t, _) in CARRIED_OTHERWISE {
            if !types.contains_key(*t) {
                problems.push(format!("CARRIED_OTHERWISE names {t}, which upstream does not have"));
            }
        }
        for (t, f, _) in KNOWN_DIFFERENCES {
            if !types
                .get(*t)
                .and_then(Value::as_object)
                .is_some_and(|o| o.keys().any(|k| k.trim_end_matches('?') == *f))
            {
                problems.push(format!("KNOWN_DIFFERENCES names {t}.{f}, which upstream does not have"));
            }
        }
        // Each event carries its upstream payload's record; those carried
        // otherwise (and raw JSON) come as the `custom` case.
        let cases = c.event_cases();
        for (event, payload) in u["events"].as_object().unwrap() {
            let case = event.replace('.', "-");
            let payload = payload.as_str().unwrap();
            let want = ours(payload);
            match cases.iter().find(|(n, _)| *n == case) {
                Some((_, ty)) if ty.as_deref().is_some_and(|t| want.contains(&t)) => {}
                None if want.is_empty() => {}
                Some((_, ty)) => problems.push(format!("event {event}: payload {ty:?} here, upstream {payload}")),
                None => problems.push(format!("event {event}: no case `{case}` in the WIT event variant")),
            }
        }
        // Permissions and the legacy host functions.
        for (_, perm) in u["permissions"].as_object().unwrap() {
            if perm.as_str().unwrap().parse::<crate::permissions::Permission>().is_err() {
                problems.push(format!("permission {perm} is unknown here"));
            }
        }
        for (f, perm) in u["hostFunctions"].as_object().unwrap() {
            if NOT_HERE_YET.iter().any(|(n, _)| n == f) {
                if permissions::for_legacy_function(f).is_ok() {
                    problems.push(format!("{f} is here now: take it out of NOT_HERE_YET"));
                }
                continue;
            }
            match (permissions::for_legacy_function(f), perm.as_str()) {
                (Ok(Some(p)), Some(want)) if p.name() == want => {}
                (Ok(None), None) => {}
                (Ok(Some(p)), _) => problems.push(format!("{f}: permission {p} here, upstream {perm}")),
                (Ok(None), _) => problems.push(format!("{f}: ambient here, upstream {perm}")),
                (Err(_), _) => problems.push(format!("{f}: no legacy host function")),
            }
        }
        assert!(
            problems.is_empty(),
            "differences from upstream's contract ({}):\n  {}",
            u["provenance"]["sources"]["permissions"],
            problems.join("\n  ")
        );
    }
}
