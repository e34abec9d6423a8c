//! What the criterion bench (`benches/filter.rs`) and the memory binary
//! (`src/bin/extism-memory.rs`) share: where the built plugins are, the chat
//! message they are called with, and the official Extism host set up for a
//! plugin, with stand-ins for the `owncast_*` host functions it imports.
//!
//! The stand-ins: every function the module imports from
//! `extism:host/user` is given with the signature the module declares (read
//! from its import section, not assumed), and does nothing but answer "none"
//! (`0`), except the few a benchmarked plugin calls on every call:
//! `owncast_kv_get`/`owncast_kv_set` keep a map, `owncast_send_chat` keeps the
//! messages, so a plugin that counts and answers sees what it would on a
//! server.

use extism::{CurrentPlugin, Function, UserData, Val, ValType};
use owncast_plugin_host::event::Event;
use owncast_plugin_host::{Manifest, PluginBundle};
use std::collections::HashMap;
use std::path::PathBuf;

/// Where the built plugins are found: `$OWNCAST_BUILT` (a checkout whose
/// guests are built, e.g. `/work/main`), else this repository.
pub fn built_root() -> PathBuf {
    match std::env::var_os("OWNCAST_BUILT") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.."),
    }
}

/// The plugin directory `rel` (e.g. `examples/js/profanity-filter`) under
/// [`built_root`], read as the host reads it.
pub fn bundle(rel: &str) -> PluginBundle {
    let dir = built_root().join(rel);
    PluginBundle::from_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "{e}: build it (tools/build-extism-fixtures.sh, tools/build-js-examples.sh) \
             or point OWNCAST_BUILT at a checkout where it is built"
        )
    })
}

/// The bundle's manifest, parsed as the host parses it.
pub fn manifest(bundle: &PluginBundle) -> Manifest {
    Manifest::parse(&bundle.manifest, &bundle.manifest_file).unwrap_or_else(|e| panic!("{e}"))
}

/// A chat message from alice with `body`.
pub fn chat(body: &str) -> Event {
    Event::from_json(
        "chat.message.received",
        serde_json::json!({
            "id": "m-1", "user": {"id": "u-1", "displayName": "alice"},
            "body": body, "timestamp": "2024-01-01T00:00:00Z"
        }),
    )
    .expect("a chat message fits its record")
}

/// What the stand-in host functions saw.
#[derive(Default, Debug)]
pub struct Stubs {
    pub kv: HashMap<String, String>,
    /// Every `owncast_send_chat` text, in order.
    pub chat: Vec<String>,
}

/// One function the module imports: module, name, parameters, results.
#[derive(Debug, Clone)]
pub struct Import {
    pub module: String,
    pub name: String,
    pub params: Vec<ValType>,
    pub results: Vec<ValType>,
}

/// The module's function imports, with their declared signatures.
pub fn function_imports(wasm: &[u8]) -> Result<Vec<Import>, String> {
    use wasmparser::{Parser, Payload, TypeRef};
    let mut types: Vec<wasmparser::FuncType> = Vec::new();
    let mut out = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty.map_err(|e| e.to_string())?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| e.to_string())?;
                    let TypeRef::Func(index) = import.ty else { continue };
                    let ty = types.get(index as usize).ok_or_else(|| format!("{}: no type {index}", import.name))?;
                    let val = |v: &wasmparser::ValType| match v {
                        wasmparser::ValType::I32 => Ok(ValType::I32),
                        wasmparser::ValType::I64 => Ok(ValType::I64),
                        wasmparser::ValType::F32 => Ok(ValType::F32),
                        wasmparser::ValType::F64 => Ok(ValType::F64),
                        other => Err(format!("{}: a {other:?} in its signature", import.name)),
                    };
                    out.push(Import {
                        module: import.module.to_string(),
                        name: import.name.to_string(),
                        params: ty.params().iter().map(val).collect::<Result<_, _>>()?,
                        results: ty.results().iter().map(val).collect::<Result<_, _>>()?,
                    });
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The text at the kernel offset `v` (`0`: empty).
fn text(plugin: &mut CurrentPlugin, v: &Val) -> Result<String, extism::Error> {
    if v.i64().unwrap_or(0) == 0 {
        return Ok(String::new());
    }
    Ok(plugin.memory_get_val::<&str>(v)?.to_string())
}

/// A zero of each result type: "none" for a kernel offset, `0` for a number.
fn zero(types: &[ValType], results: &mut [Val]) {
    for (r, ty) in results.iter_mut().zip(types) {
        *r = match ty {
            ValType::I32 => Val::I32(0),
            ValType::F32 => Val::F32(0),
            ValType::F64 => Val::F64(0),
            _ => Val::I64(0),
        };
    }
}

/// The stand-ins for every `extism:host/user` import of `wasm` (see the crate docs).
pub fn stub_functions(wasm: &[u8], stubs: &UserData<Stubs>) -> Vec<Function> {
    let imports = function_imports(wasm).unwrap_or_else(|e| panic!("reading the module's imports: {e}"));
    imports
        .into_iter()
        .filter(|i| i.module == extism::EXTISM_USER_MODULE)
        .map(|i| {
            let (name, types) = (i.name.clone(), i.results.clone());
            Function::new(
                i.name,
                i.params,
                i.results,
                stubs.clone(),
                move |plugin: &mut CurrentPlugin, args: &[Val], results: &mut [Val], data: UserData<Stubs>| {
                    zero(&types, results);
                    match name.as_str() {
                        "owncast_kv_get" => {
                            let key = text(plugin, &args[0])?;
                            let value = data.get()?.lock().unwrap().kv.get(&key).cloned();
                            if let (Some(value), Some(r)) = (value, results.first_mut()) {
                                plugin.memory_set_val(r, value.as_str())?;
                            }
                        }
                        "owncast_kv_set" => {
                            let (key, value) = (text(plugin, &args[0])?, text(plugin, &args[1])?);
                            data.get()?.lock().unwrap().kv.insert(key, value);
                            if let Some(r) = results.first_mut() {
                                plugin.memory_set_val(r, "{}")?;
                            }
                        }
                        "owncast_send_chat" => {
                            let body = text(plugin, &args[0])?;
                            data.get()?.lock().unwrap().chat.push(body);
                        }
                        _ => {}
                    }
                    Ok(())
                },
            )
            .with_namespace(extism::EXTISM_USER_MODULE)
        })
        .collect()
}

/// `code` on the official Extism host, WASI on (the modules import it), with
/// the Extism config the shim gives a module built on the Owncast JS engine
/// (`__slug` and `manifest`; other modules ignore them) and the stand-in
/// host functions.
pub fn extism_plugin(code: &[u8], manifest: &Manifest, stubs: &UserData<Stubs>) -> extism::Plugin {
    let em = extism::Manifest::new([extism::Wasm::data(code.to_vec())])
        .with_config_key("__slug", manifest.slug.clone())
        .with_config_key("manifest", owncast_compat_extism::state::manifest_json(manifest));
    extism::Plugin::new(&em, stub_functions(code, stubs), true).unwrap_or_else(|e| panic!("extism: {e:#}"))
}
