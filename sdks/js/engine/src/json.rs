//! `JSON.stringify(value)` for plain data and `JSON.parse(text)` for plain
//! JSON text, done natively.
//!
//! QuickJS's `JSON.stringify` is generic: for every object it looks up
//! `toJSON` through the prototype chain, builds an array of the keys, reads
//! each property through the full property machinery and quotes strings one
//! code unit at a time into a growing JS string. A filter's answer (the
//! chat message it changed) is plain data, and on the profanity-filter's
//! `on_filter` that generic path was a sixth of the whole call.
//!
//! This writer handles exactly the values whose JSON text does not depend on
//! running any JS: `null`, booleans, numbers, strings, and ordinary objects
//! and arrays (object class `Object` or `Array`) whose properties are all
//! data properties and on whose prototype chains no `toJSON` is found. It
//! reads properties as descriptors (never calling a getter), so it runs no
//! JS at all; the first thing it does not handle (a getter, a `toJSON`, a
//! proxy, a function, a symbol, a BigInt, a boxed primitive, a string with
//! a lone surrogate, an array hole, nesting deeper than [`MAX_DEPTH`]) makes
//! the whole value go through `JSON.stringify` instead, so the result is
//! always what `JSON.stringify(value)` gives (same text, same exceptions,
//! same side effects).

use rquickjs::qjs;
use rquickjs::{Ctx, Value};

/// Deeper values go through `JSON.stringify` (which also reports cycles).
const MAX_DEPTH: u32 = 64;

/// The value needs `JSON.stringify`.
struct Generic;

/// Drops the exception QuickJS has pending (the generic path, which runs
/// after, reports its own) and says the value needs that path.
unsafe fn cleared(ctx: *mut qjs::JSContext) -> Generic {
    qjs::JS_FreeValue(ctx, qjs::JS_GetException(ctx));
    Generic
}

/// `JSON.stringify(v)` as UTF-8 text, `None` where it gives `undefined`.
pub fn stringify<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> rquickjs::Result<Option<String>> {
    // The writer (and its hold on the atom cache) is gone before the
    // fallback, which may run JS that stringifies again.
    let (fast, out) = {
        let mut w = Writer::new(ctx);
        (unsafe { w.value(v.as_raw(), 0) }, w.out)
    };
    match fast {
        Ok(true) => {
            // Only whole UTF-8 sequences (from valid strings) and ASCII were written.
            debug_assert!(std::str::from_utf8(&out).is_ok());
            // SAFETY: the writer copies whole UTF-8 sequences of QuickJS's
            // UTF-8 (strings with a lone surrogate go to JSON.stringify) and
            // writes ASCII otherwise.
            Ok(Some(unsafe { String::from_utf8_unchecked(out) }))
        }
        Ok(false) => Ok(None),
        Err(Generic) => match ctx.json_stringify(v.clone())? {
            Some(s) => Ok(Some(s.to_string()?)),
            None => Ok(None),
        },
    }
}

/// Whether `v` is an ordinary object or an array (class `Object` or `Array`).
pub fn is_object_or_array<'js>(ctx: &Ctx<'js>, v: &Value<'js>) -> bool {
    if !v.is_object() {
        return false;
    }
    // SAFETY: a live value of `ctx`.
    let atoms = unsafe { Atoms::of(ctx.as_raw().as_ptr()) };
    let class = unsafe { qjs::JS_GetClassID(v.as_raw()) };
    class == atoms.object_class || class == atoms.array_class
}

/// What this module keeps between calls for the QuickJS runtime in use: the
/// class ids and `toJSON` atom the writer checks against, the atoms of the
/// object keys of recent JSON text (parse) and the quoted JSON text of recent
/// keys (stringify). Events and answers repeat the same few keys, and
/// looking a key up here is cheaper than QuickJS interning it (hashing, its
/// atom table) or writing an atom out as UTF-8 (an allocation per key). Each
/// table is direct-mapped, [`SLOTS`] entries, and holds a reference to each
/// atom in it, so an atom id in it always names the same string.
struct Atoms {
    rt: *mut qjs::JSRuntime,
    to_json: qjs::JSAtom,
    object_class: qjs::JSClassID,
    array_class: qjs::JSClassID,
    /// Key text (as in JSON, unescaped) → its atom.
    keys: [(qjs::JSAtom, Box<[u8]>); SLOTS],
    /// Atom → its quoted, escaped JSON text.
    quoted_keys: [(qjs::JSAtom, Box<[u8]>); SLOTS],
    /// Hash of an object's key atoms (in order) → an object with those
    /// keys and `undefined` values, whose shape parsed objects with the
    /// same keys take at once ([`Members::finish`]).
    models: [(u32, qjs::JSValue); MODEL_SLOTS],
}

const SLOTS: usize = 64;
const MODEL_SLOTS: usize = 64;

/// Up to this many members of a JSON object are gathered before the object
/// is made, so that it can take the shape of an earlier object with the
/// same keys; objects with more members are built a property at a time.
const GATHER: usize = 16;

extern "C" {
    /// QuickJS with the engine's patches (`patches/0008-plain-object-api.patch`): a new object
    /// with `model`'s shape when `model`'s own properties are exactly
    /// `atoms` as plain data; takes `values`, or nothing and returns
    /// `undefined` when the shape differs.
    fn JS_NewObjectLike(
        ctx: *mut qjs::JSContext,
        model: qjs::JSValue,
        count: std::ffi::c_int,
        atoms: *const qjs::JSAtom,
        values: *const qjs::JSValue,
    ) -> qjs::JSValue;
    /// The same: an ordinary object's enumerable own properties (keys and
    /// values, borrowed) when all its properties are plain data with string
    /// keys that are not array indexes; -1 otherwise or when more than `max`.
    fn JS_GetPlainProperties(
        ctx: *mut qjs::JSContext,
        obj: qjs::JSValue,
        max: std::ffi::c_int,
        atoms: *mut qjs::JSAtom,
        values: *mut qjs::JSValue,
    ) -> std::ffi::c_int;
}

/// Objects with up to this many properties are written from
/// `JS_GetPlainProperties`.
const PLAIN_MAX: usize = 32;

static ATOMS: crate::Slot<Option<Atoms>> = crate::Slot(std::cell::UnsafeCell::new(None));

impl Atoms {
    /// The cache for `ctx`'s runtime, made afresh when the runtime changed
    /// (the engine is rebuilt after a trap; the old runtime is leaked with
    /// the references the old cache held).
    unsafe fn of(ctx: *mut qjs::JSContext) -> &'static mut Atoms {
        // SAFETY: single-threaded; no caller keeps a reference across calls
        // that could rebuild it.
        let slot = &mut *ATOMS.0.get();
        let rt = qjs::JS_GetRuntime(ctx);
        if slot.as_ref().is_none_or(|a| a.rt != rt) {
            // The class ids of ordinary objects and arrays, read from an
            // instance of each rather than assumed.
            let o = qjs::JS_NewObject(ctx);
            let a = qjs::JS_NewArray(ctx);
            let (object_class, array_class) = (qjs::JS_GetClassID(o), qjs::JS_GetClassID(a));
            qjs::JS_FreeValue(ctx, o);
            qjs::JS_FreeValue(ctx, a);
            *slot = Some(Atoms {
                rt,
                to_json: qjs::JS_NewAtom(ctx, c"toJSON".as_ptr()),
                object_class,
                array_class,
                keys: std::array::from_fn(|_| (qjs::JS_ATOM_NULL, Box::default())),
                quoted_keys: std::array::from_fn(|_| (qjs::JS_ATOM_NULL, Box::default())),
                models: [(0, qjs::JS_UNDEFINED); MODEL_SLOTS],
            });
        }
        slot.as_mut().expect("set above")
    }

    fn slot_of_key(key: &[u8]) -> usize {
        // FNV-1a
        let h = key.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193));
        (h ^ (h >> 16)) as usize % SLOTS
    }

    fn slot_of_atom(atom: qjs::JSAtom) -> usize {
        (atom.wrapping_mul(0x9e37_79b1) >> 26) as usize % SLOTS
    }

    /// The atom of object key `key`, a new reference (as `JS_NewAtomLen`).
    unsafe fn key_atom(&mut self, ctx: *mut qjs::JSContext, key: &[u8]) -> Result<qjs::JSAtom, Generic> {
        let slot = Self::slot_of_key(key);
        let (atom, text) = &self.keys[slot];
        if *atom != qjs::JS_ATOM_NULL && **text == *key {
            return Ok(qjs::JS_DupAtom(ctx, *atom));
        }
        let atom = qjs::JS_NewAtomLen(ctx, key.as_ptr() as *const _, key.len() as _);
        if atom == qjs::JS_ATOM_NULL {
            return Err(cleared(ctx));
        }
        Self::keep(ctx, &mut self.keys[slot], atom, key.into());
        Ok(atom)
    }

    /// Puts `(atom, bytes)` in a table entry, taking a reference to the
    /// atom and dropping the one to the atom it replaces.
    unsafe fn keep(
        ctx: *mut qjs::JSContext,
        entry: &mut (qjs::JSAtom, Box<[u8]>),
        atom: qjs::JSAtom,
        bytes: Box<[u8]>,
    ) {
        if entry.0 != qjs::JS_ATOM_NULL {
            qjs::JS_FreeAtom(ctx, entry.0);
        }
        *entry = (qjs::JS_DupAtom(ctx, atom), bytes);
    }
}

struct Writer {
    ctx: *mut qjs::JSContext,
    out: Vec<u8>,
    atoms: &'static mut Atoms,
}

impl Writer {
    fn new(ctx: &Ctx<'_>) -> Writer {
        let raw = ctx.as_raw().as_ptr();
        Writer { ctx: raw, out: Vec::with_capacity(256), atoms: unsafe { Atoms::of(raw) } }
    }

    /// Writes `v`; `Ok(false)` (nothing written) for what JSON leaves out
    /// (`undefined`).
    unsafe fn value(&mut self, v: qjs::JSValue, depth: u32) -> Result<bool, Generic> {
        match qjs::JS_VALUE_GET_NORM_TAG(v) {
            qjs::JS_TAG_NULL => self.out.extend_from_slice(b"null"),
            qjs::JS_TAG_UNDEFINED => return Ok(false),
            qjs::JS_TAG_BOOL => {
                let b: &[u8] = if qjs::JS_VALUE_GET_BOOL(v) { b"true" } else { b"false" };
                self.out.extend_from_slice(b);
            }
            qjs::JS_TAG_INT => self.int(qjs::JS_VALUE_GET_INT(v) as i64),
            qjs::JS_TAG_FLOAT64 => self.float(v)?,
            qjs::JS_TAG_STRING | qjs::JS_TAG_STRING_ROPE => self.string(v)?,
            qjs::JS_TAG_OBJECT => self.object(v, depth)?,
            _ => return Err(Generic),
        }
        Ok(true)
    }

    fn int(&mut self, n: i64) {
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut m = n.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (m % 10) as u8;
            m /= 10;
            if m == 0 {
                break;
            }
        }
        if n < 0 {
            self.out.push(b'-');
        }
        self.out.extend_from_slice(&buf[i..]);
    }

    unsafe fn float(&mut self, v: qjs::JSValue) -> Result<(), Generic> {
        let d = qjs::JS_VALUE_GET_FLOAT64(v);
        if !d.is_finite() {
            self.out.extend_from_slice(b"null");
        } else if d == d.trunc() && d.abs() < 1e15 {
            // Integral: JS prints these as plain digits (-0 as "0").
            self.int(d as i64);
        } else {
            // Number::toString's shortest round-trip form, from QuickJS.
            let s = qjs::JS_ToString(self.ctx, v);
            if qjs::JS_IsException(s) {
                return Err(cleared(self.ctx));
            }
            let r = self.raw_text(s, false);
            qjs::JS_FreeValue(self.ctx, s);
            r?;
        }
        Ok(())
    }

    unsafe fn string(&mut self, v: qjs::JSValue) -> Result<(), Generic> {
        self.raw_text(v, true)
    }

    /// The text of the string `s`, quoted and escaped as JSON when `quote`.
    unsafe fn raw_text(&mut self, s: qjs::JSValue, quote: bool) -> Result<(), Generic> {
        let mut len: qjs::size_t = 0;
        let p = qjs::JS_ToCStringLen2(self.ctx, &mut len, s, false);
        if p.is_null() {
            return Err(cleared(self.ctx));
        }
        let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
        let r = if quote { self.quoted(bytes) } else { self.plain(bytes) };
        qjs::JS_FreeCString(self.ctx, p);
        r
    }

    fn plain(&mut self, bytes: &[u8]) -> Result<(), Generic> {
        if has_surrogate(bytes) {
            return Err(Generic);
        }
        self.out.extend_from_slice(bytes);
        Ok(())
    }

    /// `bytes` (QuickJS's UTF-8 of a string) as a JSON string literal, escaped
    /// as `JSON.stringify` escapes.
    fn quoted(&mut self, bytes: &[u8]) -> Result<(), Generic> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        self.out.reserve(bytes.len() + 2);
        self.out.push(b'"');
        let mut start = 0;
        let mut i = 0;
        loop {
            i = plain_run(bytes, i);
            let Some(&b) = bytes.get(i) else { break };
            let e = ESCAPE[b as usize];
            if e == SURROGATE_LEAD {
                // A lone surrogate (QuickJS writes it as ED A0..BF xx):
                // JSON.stringify escapes it as \udxxx.
                if bytes.get(i + 1).is_some_and(|&n| n >= 0xa0) {
                    return Err(Generic);
                }
                i += 1;
                continue;
            }
            self.out.extend_from_slice(&bytes[start..i]);
            if e == b'u' {
                self.out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
            } else {
                self.out.extend_from_slice(&[b'\\', e]);
            }
            i += 1;
            start = i;
        }
        self.out.extend_from_slice(&bytes[start..]);
        self.out.push(b'"');
        Ok(())
    }

    /// The own data property `atom` of `obj`: `Ok(None)` when there is none.
    unsafe fn own_data(&mut self, obj: qjs::JSValue, atom: qjs::JSAtom) -> Result<Option<qjs::JSValue>, Generic> {
        let mut desc = qjs::JSPropertyDescriptor {
            flags: 0,
            value: qjs::JS_UNDEFINED,
            getter: qjs::JS_UNDEFINED,
            setter: qjs::JS_UNDEFINED,
        };
        match qjs::JS_GetOwnProperty(self.ctx, &mut desc, obj, atom) {
            0 => Ok(None),
            1 => {
                if desc.flags & qjs::JS_PROP_GETSET as i32 != 0 {
                    qjs::JS_FreeValue(self.ctx, desc.getter);
                    qjs::JS_FreeValue(self.ctx, desc.setter);
                    qjs::JS_FreeValue(self.ctx, desc.value);
                    return Err(Generic);
                }
                qjs::JS_FreeValue(self.ctx, desc.getter);
                qjs::JS_FreeValue(self.ctx, desc.setter);
                Ok(Some(desc.value))
            }
            _ => Err(cleared(self.ctx)),
        }
    }

    /// Fails unless `obj` and every object on its prototype chain is an
    /// ordinary object or array without an own `toJSON`.
    unsafe fn check_chain(&mut self, obj: qjs::JSValue) -> Result<(), Generic> {
        let mut o = qjs::JS_DupValue(self.ctx, obj);
        let mut r = Ok(());
        for _ in 0..MAX_DEPTH {
            if !qjs::JS_IsObject(o) {
                break;
            }
            let class = qjs::JS_GetClassID(o);
            if class != self.atoms.object_class && class != self.atoms.array_class {
                r = Err(Generic);
                break;
            }
            match self.own_data(o, self.atoms.to_json) {
                Ok(None) => {}
                Ok(Some(f)) => {
                    qjs::JS_FreeValue(self.ctx, f);
                    r = Err(Generic);
                    break;
                }
                Err(e) => {
                    r = Err(e);
                    break;
                }
            }
            // Not a proxy (checked above): no JS runs.
            let proto = qjs::JS_GetPrototype(self.ctx, o);
            qjs::JS_FreeValue(self.ctx, o);
            o = proto;
            if qjs::JS_IsException(o) {
                return Err(cleared(self.ctx));
            }
        }
        if qjs::JS_IsObject(o) && r.is_ok() {
            r = Err(Generic); // a chain longer than MAX_DEPTH
        }
        qjs::JS_FreeValue(self.ctx, o);
        r
    }

    unsafe fn object(&mut self, v: qjs::JSValue, depth: u32) -> Result<(), Generic> {
        if depth >= MAX_DEPTH {
            return Err(Generic);
        }
        self.check_chain(v)?;
        if qjs::JS_GetClassID(v) == self.atoms.array_class {
            self.array(v, depth)
        } else {
            self.record(v, depth)
        }
    }

    unsafe fn array(&mut self, v: qjs::JSValue, depth: u32) -> Result<(), Generic> {
        let mut len: i64 = 0;
        if qjs::JS_GetLength(self.ctx, v, &mut len) < 0 {
            return Err(cleared(self.ctx));
        }
        self.out.push(b'[');
        for i in 0..len {
            if i > 0 {
                self.out.push(b',');
            }
            let atom = qjs::JS_NewAtomUInt32(self.ctx, i as u32);
            let item = self.own_data(v, atom);
            qjs::JS_FreeAtom(self.ctx, atom);
            // A hole reads through the prototype chain: JSON.stringify's job.
            let item = item?.ok_or(Generic)?;
            let written = self.value(item, depth + 1);
            qjs::JS_FreeValue(self.ctx, item);
            if !written? {
                self.out.extend_from_slice(b"null");
            }
        }
        self.out.push(b']');
        Ok(())
    }

    unsafe fn record(&mut self, v: qjs::JSValue, depth: u32) -> Result<(), Generic> {
        // An ordinary object of plain data (most are): its keys and values
        // straight from its shape, no key list or descriptor per property.
        let mut atoms = [qjs::JS_ATOM_NULL; PLAIN_MAX];
        let mut values = [qjs::JS_UNDEFINED; PLAIN_MAX];
        let n = JS_GetPlainProperties(self.ctx, v, PLAIN_MAX as _, atoms.as_mut_ptr(), values.as_mut_ptr());
        if n >= 0 {
            return self.plain_members(&atoms[..n as usize], &values[..n as usize], depth);
        }
        let mut tab: *mut qjs::JSPropertyEnum = std::ptr::null_mut();
        let mut len: u32 = 0;
        let flags = (qjs::JS_GPN_STRING_MASK | qjs::JS_GPN_ENUM_ONLY) as i32;
        if qjs::JS_GetOwnPropertyNames(self.ctx, &mut tab, &mut len, v, flags) < 0 {
            return Err(cleared(self.ctx));
        }
        let r = self.members(v, std::slice::from_raw_parts(tab, len as usize), depth);
        qjs::JS_FreePropertyEnum(self.ctx, tab, len);
        r
    }

    unsafe fn members(&mut self, v: qjs::JSValue, props: &[qjs::JSPropertyEnum], depth: u32) -> Result<(), Generic> {
        self.out.push(b'{');
        let mut first = true;
        for p in props {
            let Some(item) = self.own_data(v, p.atom)? else {
                continue;
            };
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            let key = self.key(p.atom);
            let written = key.and_then(|()| {
                self.out.push(b':');
                self.value(item, depth + 1)
            });
            qjs::JS_FreeValue(self.ctx, item);
            if written? {
                first = false;
            } else {
                self.out.truncate(mark); // undefined: the member is left out
            }
        }
        self.out.push(b'}');
        Ok(())
    }

    /// `{"key":value,...}` of borrowed keys and values (nothing here runs
    /// JS, so they stay valid).
    unsafe fn plain_members(
        &mut self,
        atoms: &[qjs::JSAtom],
        values: &[qjs::JSValue],
        depth: u32,
    ) -> Result<(), Generic> {
        self.out.push(b'{');
        let mut first = true;
        for (&atom, &item) in atoms.iter().zip(values) {
            let mark = self.out.len();
            if !first {
                self.out.push(b',');
            }
            self.key(atom)?;
            self.out.push(b':');
            if self.value(item, depth + 1)? {
                first = false;
            } else {
                self.out.truncate(mark); // undefined: the member is left out
            }
        }
        self.out.push(b'}');
        Ok(())
    }

    unsafe fn key(&mut self, atom: qjs::JSAtom) -> Result<(), Generic> {
        let slot = Atoms::slot_of_atom(atom);
        let (cached, quoted) = &self.atoms.quoted_keys[slot];
        if *cached == atom {
            self.out.extend_from_slice(quoted);
            return Ok(());
        }
        let mut len: qjs::size_t = 0;
        let p = qjs::JS_AtomToCStringLen(self.ctx, &mut len, atom);
        if p.is_null() {
            return Err(cleared(self.ctx));
        }
        let start = self.out.len();
        let r = self.quoted(std::slice::from_raw_parts(p as *const u8, len as usize));
        qjs::JS_FreeCString(self.ctx, p);
        r?;
        let quoted = self.out[start..].into();
        Atoms::keep(self.ctx, &mut self.atoms.quoted_keys[slot], atom, quoted);
        Ok(())
    }
}

/// [`ESCAPE`]'s mark of the byte that starts a (possibly lone) surrogate.
const SURROGATE_LEAD: u8 = 1;

/// Per byte: 0 to copy it, the letter of its short escape (`\n`), `u` for
/// `\u00xx`, or [`SURROGATE_LEAD`].
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = b'u';
        b += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[0xed] = SURROGATE_LEAD;
    t
};

/// The index of the first byte at or after `i` that is a control character,
/// `"`, `\\` or 0xED (which starts a surrogate in QuickJS's UTF-8), or the
/// length: eight bytes at a time, then byte by byte.
fn plain_run(s: &[u8], mut i: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // Some byte of x is zero (exact as a yes/no answer).
    let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // Some byte below 0x20 (bytes of 0x80 and up have their high bit set in x).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGH != 0;
        if control || zero(x ^ (ONES * b'"' as u64)) || zero(x ^ (ONES * b'\\' as u64)) || zero(x ^ (ONES * 0xed)) {
            break;
        }
        i += 8;
    }
    while i < s.len() && ESCAPE[s[i] as usize] == 0 {
        i += 1;
    }
    i
}

fn has_surrogate(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w[0] == 0xed && w[1] >= 0xa0)
}

/// `JSON.parse(text)` (no reviver): plain JSON text is parsed here into the
/// same values; anything this parser does not take (a syntax error, a lone
/// surrogate, nesting past [`MAX_DEPTH`]) goes to QuickJS's JSON parser,
/// which is what `JSON.parse` runs, on the same bytes (so errors are
/// `JSON.parse`'s).
pub fn parse<'js>(ctx: &Ctx<'js>, text: &Value<'js>) -> rquickjs::Result<Value<'js>> {
    let raw = ctx.as_raw().as_ptr();
    unsafe {
        // ToString(text), as JSON.parse does.
        let mut len: qjs::size_t = 0;
        let p = qjs::JS_ToCStringLen2(raw, &mut len, text.as_raw(), false);
        if p.is_null() {
            return Err(rquickjs::Error::Exception);
        }
        let bytes = std::slice::from_raw_parts(p as *const u8, len as usize);
        let mut parser = Parser { ctx: raw, s: bytes, i: 0 };
        let v = match parser.document() {
            Ok(v) => v,
            // The bytes are NUL-terminated (JS_ToCStringLen), as QuickJS's parser wants.
            Err(Generic) => qjs::JS_ParseJSON(raw, p, len, c"<input>".as_ptr()),
        };
        qjs::JS_FreeCString(raw, p);
        if qjs::JS_IsException(v) {
            return Err(rquickjs::Error::Exception);
        }
        Ok(Value::from_raw(ctx.clone(), v))
    }
}

/// `JSON.parse(text)` when the engine's parser takes `text`, else `None`
/// (for `JSON.parse` to give its value or its error).
pub fn parse_text<'js>(ctx: &Ctx<'js>, text: &[u8]) -> Option<Value<'js>> {
    let raw = ctx.as_raw().as_ptr();
    // SAFETY: the parser makes values in `ctx`; an error frees what it made.
    let v = unsafe { (Parser { ctx: raw, s: text, i: 0 }).document() }.ok()?;
    Some(unsafe { Value::from_raw(ctx.clone(), v) })
}

struct Parser<'a> {
    ctx: *mut qjs::JSContext,
    s: &'a [u8],
    i: usize,
}

impl<'a> Parser<'a> {
    unsafe fn document(&mut self) -> Result<qjs::JSValue, Generic> {
        let v = self.value(0)?;
        self.ws();
        if self.i != self.s.len() {
            qjs::JS_FreeValue(self.ctx, v);
            return Err(Generic);
        }
        Ok(v)
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    unsafe fn value(&mut self, depth: u32) -> Result<qjs::JSValue, Generic> {
        self.ws();
        let Some(&b) = self.s.get(self.i) else {
            return Err(Generic);
        };
        match b {
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                self.object(depth)
            }
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                self.array(depth)
            }
            b'"' => {
                self.i += 1;
                let text = self.string()?;
                let v = qjs::JS_NewStringLen(self.ctx, text.as_ptr() as *const _, text.len() as _);
                if qjs::JS_IsException(v) {
                    return Err(cleared(self.ctx));
                }
                Ok(v)
            }
            b't' => self.word(b"true", qjs::JS_TRUE),
            b'f' => self.word(b"false", qjs::JS_FALSE),
            b'n' => self.word(b"null", qjs::JS_NULL),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(Generic),
        }
    }

    fn word(&mut self, w: &[u8], v: qjs::JSValue) -> Result<qjs::JSValue, Generic> {
        if self.s[self.i..].starts_with(w) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(Generic)
        }
    }

    unsafe fn number(&mut self) -> Result<qjs::JSValue, Generic> {
        let start = self.i;
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - from
        };
        if self.s[self.i] == b'-' {
            self.i += 1;
        }
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => return Err(Generic),
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if digits(self) == 0 {
                return Err(Generic);
            }
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if digits(self) == 0 {
                return Err(Generic);
            }
        }
        // ASCII by construction; Rust's f64 parsing rounds correctly, as JS does.
        let text = std::str::from_utf8_unchecked(&self.s[start..self.i]);
        let d: f64 = text.parse().map_err(|_| Generic)?;
        Ok(qjs::JS_NewNumber(self.ctx, d))
    }

    /// The string after its opening quote, as UTF-8 (escapes decoded).
    fn string(&mut self) -> Result<std::borrow::Cow<'a, [u8]>, Generic> {
        let start = self.i;
        // Plain run: no escapes.
        let s: &'a [u8] = self.s;
        let mut i = start;
        loop {
            i = plain_run(s, i);
            match s.get(i) {
                None => return Err(Generic),
                Some(b'"') => {
                    self.i = i + 1;
                    return Ok(std::borrow::Cow::Borrowed(&s[start..i]));
                }
                Some(b'\\') => break,
                // A lone surrogate: JSON.parse's job.
                Some(0xed) if s.get(i + 1).is_some_and(|&n| n >= 0xa0) => return Err(Generic),
                Some(0xed) => i += 1,
                Some(_) => return Err(Generic), // a control character
            }
        }
        self.i = i;
        let mut out = self.s[start..self.i].to_vec();
        loop {
            match self.s.get(self.i) {
                None => return Err(Generic),
                Some(b'"') => {
                    self.i += 1;
                    if has_surrogate(&out) {
                        return Err(Generic);
                    }
                    return Ok(std::borrow::Cow::Owned(out));
                }
                Some(b'\\') => {
                    self.i += 1;
                    let e = *self.s.get(self.i).ok_or(Generic)?;
                    self.i += 1;
                    let c = match e {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let mut cp = self.hex4()?;
                            if (0xd800..0xdc00).contains(&cp) {
                                // A pair, else a lone surrogate (JSON.parse's job).
                                if self.s.get(self.i..self.i + 2) != Some(b"\\u") {
                                    return Err(Generic);
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xdc00..0xe000).contains(&lo) {
                                    return Err(Generic);
                                }
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                            } else if (0xdc00..0xe000).contains(&cp) {
                                return Err(Generic);
                            }
                            let ch = char::from_u32(cp).ok_or(Generic)?;
                            out.extend_from_slice(ch.encode_utf8(&mut [0u8; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(Generic),
                    };
                    out.push(c);
                }
                Some(0..=0x1f) => return Err(Generic),
                Some(&b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, Generic> {
        let h = self.s.get(self.i..self.i + 4).ok_or(Generic)?;
        let mut v = 0u32;
        for &c in h {
            v = v * 16 + (c as char).to_digit(16).ok_or(Generic)?;
        }
        self.i += 4;
        Ok(v)
    }

    /// An object's members, after its `{`.
    unsafe fn object(&mut self, depth: u32) -> Result<qjs::JSValue, Generic> {
        let mut members = Members::new(self.ctx);
        if self.eat(b'}') {
            return members.finish();
        }
        loop {
            if !self.eat(b'"') {
                return Err(Generic);
            }
            let key = self.string()?;
            let atom = Atoms::of(self.ctx).key_atom(self.ctx, &key)?;
            let item = if self.eat(b':') { self.value(depth + 1) } else { Err(Generic) };
            match item {
                Ok(v) => members.add(atom, v)?,
                Err(e) => {
                    qjs::JS_FreeAtom(self.ctx, atom);
                    return Err(e);
                }
            }
            if self.eat(b',') {
                continue;
            }
            return if self.eat(b'}') { members.finish() } else { Err(Generic) };
        }
    }

    /// An array's elements, after its `[`.
    unsafe fn array(&mut self, depth: u32) -> Result<qjs::JSValue, Generic> {
        let arr = qjs::JS_NewArray(self.ctx);
        if qjs::JS_IsException(arr) {
            return Err(cleared(self.ctx));
        }
        match self.elements(arr, depth) {
            Ok(()) => Ok(arr),
            Err(e) => {
                qjs::JS_FreeValue(self.ctx, arr);
                Err(e)
            }
        }
    }

    unsafe fn elements(&mut self, arr: qjs::JSValue, depth: u32) -> Result<(), Generic> {
        if self.eat(b']') {
            return Ok(());
        }
        let mut n: u32 = 0;
        loop {
            let v = self.value(depth + 1)?;
            if qjs::JS_DefinePropertyValueUint32(self.ctx, arr, n, v, qjs::JS_PROP_C_W_E as i32) < 0 {
                return Err(cleared(self.ctx));
            }
            n += 1;
            if self.eat(b',') {
                continue;
            }
            return if self.eat(b']') { Ok(()) } else { Err(Generic) };
        }
    }
}

/// The members of a JSON object being parsed. The first [`GATHER`] are
/// gathered, and the object is made when it ends, with the shape of an
/// earlier object that had the same keys (one step, where defining the
/// properties one by one takes a shape transition each). An object with
/// more members is made when the next one comes, and that one and the rest
/// are defined on it. Frees what it holds when dropped.
struct Members {
    ctx: *mut qjs::JSContext,
    n: usize,
    atoms: [qjs::JSAtom; GATHER],
    values: [qjs::JSValue; GATHER],
    /// The object, once made (`undefined` before).
    obj: qjs::JSValue,
}

impl Members {
    fn new(ctx: *mut qjs::JSContext) -> Members {
        Members {
            ctx,
            n: 0,
            atoms: [qjs::JS_ATOM_NULL; GATHER],
            values: [qjs::JS_UNDEFINED; GATHER],
            obj: qjs::JS_UNDEFINED,
        }
    }

    /// Adds member `atom: v`, taking both.
    unsafe fn add(&mut self, atom: qjs::JSAtom, v: qjs::JSValue) -> Result<(), Generic> {
        if qjs::JS_IsUndefined(self.obj) && self.n < GATHER {
            self.atoms[self.n] = atom;
            self.values[self.n] = v;
            self.n += 1;
            return Ok(());
        }
        if qjs::JS_IsUndefined(self.obj) {
            self.obj = self.define_gathered()?;
        }
        let r = self.define(self.obj, atom, v);
        qjs::JS_FreeAtom(self.ctx, atom);
        r
    }

    /// The object.
    unsafe fn finish(mut self) -> Result<qjs::JSValue, Generic> {
        if !qjs::JS_IsUndefined(self.obj) {
            return Ok(std::mem::replace(&mut self.obj, qjs::JS_UNDEFINED));
        }
        let keys = &self.atoms[..self.n];
        let hash = keys.iter().fold(0x811c_9dc5u32, |h, &a| (h.rotate_left(5) ^ a).wrapping_mul(0x9e37_79b1));
        // Two places a model can be in (picked by different bits of the
        // hash), so that two key sets that meet in one place do not push
        // each other out on every call.
        let places = [(hash >> 26) as usize % MODEL_SLOTS, (hash >> 20) as usize % MODEL_SLOTS];
        let models = &mut Atoms::of(self.ctx).models;
        for &place in &places {
            if models[place].0 != hash || qjs::JS_IsUndefined(models[place].1) {
                continue;
            }
            let obj = JS_NewObjectLike(self.ctx, models[place].1, self.n as _, keys.as_ptr(), self.values.as_ptr());
            if qjs::JS_IsException(obj) {
                // The values were taken.
                self.values = [qjs::JS_UNDEFINED; GATHER];
                return Err(cleared(self.ctx));
            }
            if !qjs::JS_IsUndefined(obj) {
                self.values = [qjs::JS_UNDEFINED; GATHER];
                return Ok(obj);
            }
        }
        let obj = self.define_gathered()?;
        // The model: the same keys (unless one repeated, which the shape
        // check refuses), values undefined.
        let undefined = [qjs::JS_UNDEFINED; GATHER];
        let model = JS_NewObjectLike(self.ctx, obj, self.n as _, self.atoms.as_ptr(), undefined.as_ptr());
        if qjs::JS_IsException(model) {
            qjs::JS_FreeValue(self.ctx, qjs::JS_GetException(self.ctx));
        } else if !qjs::JS_IsUndefined(model) {
            // An empty place, else the first.
            let place = places.into_iter().find(|&p| qjs::JS_IsUndefined(models[p].1)).unwrap_or(places[0]);
            let old = std::mem::replace(&mut models[place], (hash, model));
            qjs::JS_FreeValue(self.ctx, old.1);
        }
        Ok(obj)
    }

    /// A new object with the gathered members defined in order (a key seen
    /// before keeps its place and takes the later value).
    unsafe fn define_gathered(&mut self) -> Result<qjs::JSValue, Generic> {
        let obj = qjs::JS_NewObject(self.ctx);
        if qjs::JS_IsException(obj) {
            return Err(cleared(self.ctx));
        }
        for i in 0..self.n {
            let v = std::mem::replace(&mut self.values[i], qjs::JS_UNDEFINED);
            if let Err(e) = self.define(obj, self.atoms[i], v) {
                qjs::JS_FreeValue(self.ctx, obj);
                return Err(e);
            }
        }
        Ok(obj)
    }

    /// `obj[atom] = v` as a data property, taking `v`.
    unsafe fn define(&self, obj: qjs::JSValue, atom: qjs::JSAtom, v: qjs::JSValue) -> Result<(), Generic> {
        if qjs::JS_DefinePropertyValue(self.ctx, obj, atom, v, qjs::JS_PROP_C_W_E as i32) < 0 {
            return Err(cleared(self.ctx));
        }
        Ok(())
    }
}

impl Drop for Members {
    fn drop(&mut self) {
        unsafe {
            for i in 0..self.n {
                qjs::JS_FreeAtom(self.ctx, self.atoms[i]);
                qjs::JS_FreeValue(self.ctx, self.values[i]);
            }
            qjs::JS_FreeValue(self.ctx, self.obj);
        }
    }
}
