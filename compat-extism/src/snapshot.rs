//! Engine-built modules split into the engine's code and the plugin's snapshot.
//!
//! A module built by `owncast-plugin build` is the Owncast JS engine
//! pre-initialized by wizer with the plugin's script: the engine's functions,
//! tables and exports unchanged, plus a snapshot (the linear memory's size and
//! contents as data segments, and the values of the mutable globals). Every
//! plugin built on the same engine has the same code, so the loader compiles
//! it once and gives each plugin only its snapshot:
//!
//! - the *code module*: the module without its memory and data, importing
//!   its memory from [`SNAPSHOT_MODULE`] instead, every defined mutable global
//!   initialized to zero and exported as `owncast:global:<index>`, custom
//!   sections but `name` dropped. Identical bytes for every plugin of one
//!   engine build.
//! - the *memory module*, one per plugin: just the memory (same limits) and
//!   the data segments, exporting `memory`. Wasmtime turns its data into a
//!   copy-on-write image, so an instance maps the snapshot and only the pages
//!   the plugin writes become its own.
//! - the mutable globals' snapshot values, set through those exports after
//!   the code module is instantiated, before anything runs.
//!
//! Anything this does not understand (a start function, a data count
//! section, imported or several memories, shared or 64-bit memory, global
//! initializers other than constants, data segments not at constant offsets)
//! makes [`split`] return `None` and the module loads whole, as before.

use wasmtime::Val;

/// The import module the code module takes its memory from.
pub const SNAPSHOT_MODULE: &str = "owncast:snapshot";
/// The memory's import name in [`SNAPSHOT_MODULE`] and its export name in the memory module.
pub const MEMORY: &str = "memory";
/// Export name prefix of the code module's mutable globals.
pub const GLOBAL_PREFIX: &str = "owncast:global:";

/// An engine-built module split in two.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    /// The engine's code: the same bytes for every plugin of one engine build.
    pub code: Vec<u8>,
    /// The plugin's memory and data segments.
    pub memory: Vec<u8>,
    /// `(export name, snapshot value)` of each mutable global of the code module.
    pub globals: Vec<(String, Const)>,
}

/// A global's constant value (floats as their bits, kept exactly).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Const {
    I32(i32),
    I64(i64),
    F32(u32),
    F64(u64),
}

impl Const {
    pub fn val(self) -> Val {
        match self {
            Const::I32(v) => Val::I32(v),
            Const::I64(v) => Val::I64(v),
            Const::F32(v) => Val::F32(v),
            Const::F64(v) => Val::F64(v),
        }
    }
    /// The zero of the same type, as a constant expression (ending in `end`).
    fn zero_expr(self) -> &'static [u8] {
        match self {
            Const::I32(_) => &[0x41, 0x00, 0x0b],
            Const::I64(_) => &[0x42, 0x00, 0x0b],
            Const::F32(_) => &[0x43, 0, 0, 0, 0, 0x0b],
            Const::F64(_) => &[0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x0b],
        }
    }
}

/// A cursor over a section's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }
    fn done(&self) -> bool {
        self.pos >= self.bytes.len()
    }
    fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let end = self.pos.checked_add(n)?;
        let s = self.bytes.get(self.pos..end)?;
        self.pos = end;
        Some(s)
    }
    /// Unsigned LEB128 of at most 64 bits.
    fn uleb(&mut self) -> Option<u64> {
        let mut result = 0u64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return None;
            }
            result |= ((b & 0x7f) as u64) << shift;
            if b & 0x80 == 0 {
                return Some(result);
            }
            shift += 7;
        }
    }
    fn u32(&mut self) -> Option<u32> {
        self.uleb().and_then(|v| u32::try_from(v).ok())
    }
    /// Signed LEB128 of at most 64 bits.
    fn sleb(&mut self) -> Option<i64> {
        let mut result = 0i64;
        let mut shift = 0;
        loop {
            let b = self.byte()?;
            if shift >= 64 {
                return None;
            }
            result |= ((b & 0x7f) as i64) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                if shift < 64 && b & 0x40 != 0 {
                    result |= -1i64 << shift;
                }
                return Some(result);
            }
        }
    }
    /// A name (length-prefixed UTF-8), as bytes.
    fn name(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    /// Skips a constant expression; returns its bytes (with `end`).
    fn const_expr(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        loop {
            match self.byte()? {
                0x0b => return Some(&self.bytes[start..self.pos]),
                0x41 | 0x42 => {
                    self.sleb()?;
                }
                0x43 => {
                    self.take(4)?;
                }
                0x44 => {
                    self.take(8)?;
                }
                // global.get, ref.func
                0x23 | 0xd2 => {
                    self.u32()?;
                }
                // ref.null <heap type>
                0xd0 => {
                    self.sleb()?;
                }
                // extended constant expressions: add, sub, mul of i32 and i64
                0x6a | 0x6b | 0x6c | 0x7c | 0x7d | 0x7e => {}
                _ => return None,
            }
        }
    }
}

/// A single constant (`t.const v; end`).
fn constant(expr: &[u8]) -> Option<Const> {
    let mut r = Reader::new(expr);
    let c = match r.byte()? {
        0x41 => Const::I32(i32::try_from(r.sleb()?).ok()?),
        0x42 => Const::I64(r.sleb()?),
        0x43 => Const::F32(u32::from_le_bytes(r.take(4)?.try_into().ok()?)),
        0x44 => Const::F64(u64::from_le_bytes(r.take(8)?.try_into().ok()?)),
        _ => return None,
    };
    (r.byte()? == 0x0b && r.done()).then_some(c)
}

fn put_uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        out.push(if v == 0 { b } else { b | 0x80 });
        if v == 0 {
            break;
        }
    }
}

fn put_name(s: &str, out: &mut Vec<u8>) {
    put_uleb(s.len() as u64, out);
    out.extend_from_slice(s.as_bytes());
}

fn put_section(id: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(id);
    put_uleb(body.len() as u64, out);
    out.extend_from_slice(body);
}

/// `module` with a custom section `name` holding `data` appended: different
/// bytes (another code-cache key), the same module to run.
pub fn with_custom_section(module: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(name.len() + data.len() + 5);
    put_name(name, &mut body);
    body.extend_from_slice(data);
    let mut out = module.to_vec();
    put_section(0, &body, &mut out);
    out
}

/// A vector section: the count, then the entries' bytes.
fn put_vec_section(id: u8, count: u64, entries: &[u8], out: &mut Vec<u8>) {
    let mut body = Vec::with_capacity(entries.len() + 5);
    put_uleb(count, &mut body);
    body.extend_from_slice(entries);
    put_section(id, &body, out);
}

/// Splits an engine-built module (see the module docs); `None` when it has
/// anything this split does not handle.
pub fn split(module: &[u8]) -> Option<Split> {
    let sections = owncast_plugin_host::wasm::sections(module)?;
    if !module.starts_with(b"\0asm\x01\0\0\0") {
        return None;
    }
    // The one defined memory: its limits are kept for the memory module.
    let mut memory_section = None;
    for (id, body) in &sections {
        match id {
            // start, data count: not handled.
            8 | 12 => return None,
            5 => {
                let mut r = Reader::new(body);
                if r.u32()? != 1 {
                    return None;
                }
                // Plain 32-bit, unshared memories with 64 KiB pages only.
                let flags = r.byte()?;
                if flags > 1 {
                    return None;
                }
                r.u32()?;
                if flags == 1 {
                    r.u32()?;
                }
                if !r.done() {
                    return None;
                }
                memory_section = Some(*body);
            }
            _ => {}
        }
    }
    let memory_section = memory_section?;

    let mut code = b"\0asm\x01\0\0\0".to_vec();
    let mut globals = Vec::new();
    let mut imported_globals = 0u32;
    let mut saw_imports = false;
    let memory_import = {
        let mut e = Vec::new();
        put_name(SNAPSHOT_MODULE, &mut e);
        put_name(MEMORY, &mut e);
        e.extend_from_slice(&[0x02, 0x00, 0x00]); // memory, no maximum, minimum 0
        e
    };
    for (id, body) in &sections {
        // The import section comes before the memory section's place, or
        // is missing: then it is added before the function section.
        if !saw_imports && *id != 0 && *id != 1 && *id != 2 {
            put_vec_section(2, 1, &memory_import, &mut code);
            saw_imports = true;
        }
        match id {
            // Custom sections are dropped, but for function names (traps'
            // backtraces, profilers), the same for every plugin.
            0 => {
                let mut r = Reader::new(body);
                if r.name()? == b"name" {
                    put_section(0, body, &mut code);
                }
            }
            2 => {
                let mut r = Reader::new(body);
                let n = r.u32()?;
                let start = r.pos;
                for _ in 0..n {
                    r.name()?;
                    r.name()?;
                    match r.byte()? {
                        0x00 => {
                            r.u32()?;
                        }
                        0x01 => {
                            r.byte()?;
                            let flags = r.byte()?;
                            r.uleb()?;
                            if flags & 1 != 0 {
                                r.uleb()?;
                            }
                        }
                        // An imported memory: not handled.
                        0x02 => return None,
                        0x03 => {
                            r.byte()?;
                            r.byte()?;
                            imported_globals += 1;
                        }
                        0x04 => {
                            r.byte()?;
                            r.u32()?;
                        }
                        _ => return None,
                    }
                }
                if !r.done() {
                    return None;
                }
                let mut entries = body[start..].to_vec();
                entries.extend_from_slice(&memory_import);
                put_vec_section(2, n as u64 + 1, &entries, &mut code);
                saw_imports = true;
            }
            5 | 11 => {} // memory and data: the memory module's
            6 => {
                let mut r = Reader::new(body);
                let n = r.u32()?;
                let mut entries = Vec::with_capacity(body.len());
                for i in 0..n {
                    let ty = r.byte()?;
                    let mutable = r.byte()?;
                    let init = r.const_expr()?;
                    entries.push(ty);
                    entries.push(mutable);
                    if mutable == 1 {
                        let c = constant(init)?;
                        entries.extend_from_slice(c.zero_expr());
                        globals.push((format!("{GLOBAL_PREFIX}{}", imported_globals + i), c));
                    } else {
                        entries.extend_from_slice(init);
                    }
                }
                if !r.done() {
                    return None;
                }
                put_vec_section(6, n as u64, &entries, &mut code);
            }
            7 => {
                let mut r = Reader::new(body);
                let n = r.u32()?;
                let mut entries = body[r.pos..].to_vec();
                for (name, _) in &globals {
                    put_name(name, &mut entries);
                    entries.push(0x03);
                    let index: u32 = name[GLOBAL_PREFIX.len()..].parse().ok()?;
                    put_uleb(index as u64, &mut entries);
                }
                put_vec_section(7, n as u64 + globals.len() as u64, &entries, &mut code);
            }
            _ => put_section(*id, body, &mut code),
        }
    }
    // A module with mutable globals but no export section.
    if !globals.is_empty() && !sections.iter().any(|(id, _)| *id == 7) {
        return None;
    }

    // The memory module: memory, export, data.
    let mut memory = b"\0asm\x01\0\0\0".to_vec();
    put_section(5, memory_section, &mut memory);
    let mut export = Vec::new();
    put_name(MEMORY, &mut export);
    export.extend_from_slice(&[0x02, 0x00]);
    put_vec_section(7, 1, &export, &mut memory);
    if let Some((_, data)) = sections.iter().find(|(id, _)| *id == 11) {
        check_data(data)?;
        put_section(11, data, &mut memory);
    }
    Some(Split { code, memory, globals })
}

/// Data segments the memory module can hold on its own: active in memory 0
/// at a constant offset, or passive.
fn check_data(body: &[u8]) -> Option<()> {
    let mut r = Reader::new(body);
    let n = r.u32()?;
    for _ in 0..n {
        match r.u32()? {
            0 => {
                constant(r.const_expr()?)?;
            }
            1 => {}
            2 => {
                if r.u32()? != 0 {
                    return None;
                }
                constant(r.const_expr()?)?;
            }
            _ => return None,
        }
        let len = r.u32()? as usize;
        r.take(len)?;
    }
    r.done().then_some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::{Engine, Instance, Linker, Module, Store};

    fn wat(s: &str) -> Vec<u8> {
        wat::parse_str(s).unwrap()
    }

    const PLUGIN: &str = r#"(module
        (import "extism:host/env" "input_length" (func $il (result i64)))
        (memory 2)
        (global $sp (mut i32) (i32.const 65536))
        (global $k i32 (i32.const 7))
        (global $f (mut f64) (f64.const 1.5))
        (func (export "on_filter") (result i32)
            (global.set $sp (i32.add (global.get $sp) (i32.const 1)))
            (i32.add (i32.add (global.get $sp) (global.get $k)) (i32.load (i32.const 1024))))
        (func (export "half") (result f64) (global.get $f))
        (func (export "grow") (result i32) (memory.grow (i32.const 1)))
        (data (i32.const 1024) "\2a\00\00\00")
        (@custom "owncast-engine" "quickjs/1"))"#;

    fn linker(engine: &Engine) -> Linker<()> {
        let mut l = Linker::new(engine);
        l.func_wrap("extism:host/env", "input_length", || 0i64).unwrap();
        l
    }

    /// `(on_filter twice, half, grow)` of the whole module.
    fn run_whole(engine: &Engine, bytes: &[u8]) -> (i32, i32, f64, i32) {
        let mut store = Store::new(engine, ());
        let i = linker(engine).instantiate(&mut store, &Module::new(engine, bytes).unwrap()).unwrap();
        run(&mut store, i)
    }

    /// The same through the split: memory module, code module, globals set.
    fn run_split(engine: &Engine, s: &Split) -> (i32, i32, f64, i32) {
        let mut store = Store::new(engine, ());
        let mem = Instance::new(&mut store, &Module::new(engine, &s.memory).unwrap(), &[]).unwrap();
        let memory = mem.get_memory(&mut store, MEMORY).unwrap();
        let mut l = linker(engine);
        l.define(&store, SNAPSHOT_MODULE, MEMORY, memory).unwrap();
        let i = l.instantiate(&mut store, &Module::new(engine, &s.code).unwrap()).unwrap();
        for (name, value) in &s.globals {
            i.get_global(&mut store, name).unwrap().set(&mut store, value.val()).unwrap();
        }
        run(&mut store, i)
    }

    fn run(store: &mut Store<()>, i: Instance) -> (i32, i32, f64, i32) {
        let f = i.get_typed_func::<(), i32>(&mut *store, "on_filter").unwrap();
        let a = f.call(&mut *store, ()).unwrap();
        let b = f.call(&mut *store, ()).unwrap();
        let h = i.get_typed_func::<(), f64>(&mut *store, "half").unwrap().call(&mut *store, ()).unwrap();
        let g = i.get_typed_func::<(), i32>(&mut *store, "grow").unwrap().call(&mut *store, ()).unwrap();
        (a, b, h, g)
    }

    #[test]
    fn the_split_runs_like_the_whole_module() {
        let engine = Engine::default();
        let bytes = wat(PLUGIN);
        let s = split(&bytes).expect("splits");
        assert_eq!(
            s.globals,
            vec![
                ("owncast:global:0".into(), Const::I32(65536)),
                ("owncast:global:2".into(), Const::F64(1.5f64.to_bits()))
            ]
        );
        assert_eq!(run_split(&engine, &s), run_whole(&engine, &bytes));
        assert_eq!(run_whole(&engine, &bytes), (65536 + 1 + 7 + 42, 65536 + 2 + 7 + 42, 1.5, 2));
    }

    #[test]
    fn a_custom_section_changes_the_bytes_not_the_module() {
        let engine = Engine::default();
        let bytes = wat(PLUGIN);
        let copy = with_custom_section(&bytes, "copy", b"7");
        assert_ne!(copy, bytes);
        assert_eq!(run_whole(&engine, &copy), run_whole(&engine, &bytes));
        // section 0 (custom), 6 bytes: the name "copy" (length-prefixed), then the data
        assert_eq!(&copy[bytes.len()..], &[0, 6, 4, b'c', b'o', b'p', b'y', b'7']);
    }

    #[test]
    fn plugins_of_one_engine_share_the_code_module() {
        let engine = Engine::default();
        let a = split(&wat(PLUGIN)).expect("splits");
        let other = PLUGIN
            .replace("(i32.const 65536)", "(i32.const 4096)")
            .replace("\\2a", "\\07")
            .replace("(memory 2)", "(memory 3)");
        let b = split(&wat(&other)).expect("splits");
        assert_eq!(a.code, b.code, "same engine code, same bytes");
        assert_ne!(a.memory, b.memory);
        assert_eq!(run_split(&engine, &b), run_whole(&engine, &wat(&other)));
        assert_eq!(run_split(&engine, &b).3, 3, "the memory module keeps the plugin's memory size");
    }

    #[test]
    fn refuses_what_it_does_not_handle() {
        assert!(split(&wat(r#"(module (func $s) (start $s) (memory 1))"#)).is_none(), "start");
        assert!(split(&wat(r#"(module (import "a" "m" (memory 1)))"#)).is_none(), "imported memory");
        assert!(split(&wat(r#"(module (func))"#)).is_none(), "no memory");
        assert!(
            split(&wat(r#"(module (memory 1) (global (mut i32) (global.get 0)))"#)).is_none(),
            "non-constant mutable global"
        );
        assert!(
            split(&wat(r#"(module (import "a" "g" (global i32)) (memory 1) (data (global.get 0) "x"))"#)).is_none(),
            "data at an imported global's offset"
        );
        assert!(split(b"\0asm\x01\0\0\0\x05\x05").is_none(), "truncated");
    }
}
