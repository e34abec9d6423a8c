//! Reading a core module's section headers without a full parse: custom
//! sections, and the tables and memories it defines (checked against the
//! pooling allocator's limits before compiling, for a clear error).

/// Reads an unsigned LEB128 of at most `bits` bits.
fn leb(bytes: &[u8], pos: &mut usize, bits: u32) -> Option<u64> {
    let mut result: u64 = 0;
    let mut shift = 0;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        if shift >= bits {
            return None;
        }
        result |= ((b & 0x7f) as u64) << shift;
        if b & 0x80 == 0 {
            return Some(result);
        }
        shift += 7;
    }
}

fn leb_u32(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    leb(bytes, pos, 35).and_then(|v| u32::try_from(v).ok())
}

/// The sections of a core module, as `(id, contents)`; `None` when the
/// section headers are malformed (the compiler then reports the details).
pub fn sections(module: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    if module.len() < 8 || !module.starts_with(b"\0asm") {
        return None;
    }
    let mut out = Vec::new();
    let mut pos = 8;
    while pos < module.len() {
        let id = module[pos];
        pos += 1;
        let size = leb_u32(module, &mut pos)? as usize;
        let end = pos.checked_add(size).filter(|e| *e <= module.len())?;
        out.push((id, &module[pos..end]));
        pos = end;
    }
    Some(out)
}

/// Whether a core module has a custom section called `name`.
pub fn has_custom_section(module: &[u8], name: &str) -> bool {
    sections(module).unwrap_or_default().into_iter().any(|(id, body)| {
        let mut p = 0;
        id == 0
            && leb_u32(body, &mut p)
                .and_then(|n| body.get(p..p.checked_add(n as usize)?))
                .is_some_and(|n| n == name.as_bytes())
    })
}

/// What a core module defines that the pooling allocator sizes slots for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModuleShape {
    /// The initial element count of each table the module defines.
    pub tables: Vec<u64>,
    /// The initial size in bytes of each memory the module defines.
    pub memories: Vec<u64>,
}

/// Reads `limits` (table or memory); returns the minimum.
fn limits_min(body: &[u8], pos: &mut usize, memory: bool) -> Option<u64> {
    let flags = *body.get(*pos)?;
    *pos += 1;
    let wide = flags & 0x04 != 0;
    let bits = if wide { 70 } else { 35 };
    let min = leb(body, pos, bits)?;
    if flags & 0x01 != 0 {
        leb(body, pos, bits)?;
    }
    if memory && flags & 0x08 != 0 {
        // Custom page size: the log2 of the page size follows.
        let log2 = leb_u32(body, pos)?;
        return min.checked_mul(1u64.checked_shl(log2)?);
    }
    if memory {
        min.checked_mul(65536)
    } else {
        Some(min)
    }
}

/// Skips a reference type (`0x70`, `0x6f`, or `0x63/0x64` with a heap type).
fn skip_ref_type(body: &[u8], pos: &mut usize) -> Option<()> {
    let b = *body.get(*pos)?;
    *pos += 1;
    if b == 0x63 || b == 0x64 {
        // A heap type: an s33, or an abstract type byte.
        leb(body, pos, 35)?;
    }
    Some(())
}

/// The tables and memories `module` defines; `None` when it cannot be read
/// this far (the compiler then reports what is wrong).
pub fn module_shape(module: &[u8]) -> Option<ModuleShape> {
    let mut shape = ModuleShape::default();
    for (id, body) in sections(module)? {
        let mut pos = 0;
        match id {
            4 => {
                for _ in 0..leb_u32(body, &mut pos)? {
                    if body.get(pos) == Some(&0x40) {
                        // A table with an initializer expression: not read
                        // here; the compiler checks it.
                        return None;
                    }
                    skip_ref_type(body, &mut pos)?;
                    shape.tables.push(limits_min(body, &mut pos, false)?);
                }
            }
            5 => {
                for _ in 0..leb_u32(body, &mut pos)? {
                    shape.memories.push(limits_min(body, &mut pos, true)?);
                }
            }
            _ => {}
        }
    }
    Some(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_custom_sections() {
        let m = wat::parse_str(r#"(module (@custom "owncast-engine" "quickjs/1") (func (export "f")))"#).unwrap();
        assert!(has_custom_section(&m, "owncast-engine"));
        assert!(!has_custom_section(&m, "owncast"));
        let plain = wat::parse_str("(module)").unwrap();
        assert!(!has_custom_section(&plain, "owncast-engine"));
        assert!(!has_custom_section(b"not wasm", "owncast-engine"));
    }

    #[test]
    fn reads_tables_and_memories() {
        let m = wat::parse_str(
            "(module (table 10 funcref) (table 3 20 externref) (memory 17) (memory i64 2 4) (func (export \"f\")))",
        )
        .unwrap();
        let shape = module_shape(&m).unwrap();
        assert_eq!(shape.tables, vec![10, 3]);
        assert_eq!(shape.memories, vec![17 * 65536, 2 * 65536]);
        // Imported tables and memories are not the module's own.
        let imported =
            wat::parse_str(r#"(module (import "a" "t" (table 5 funcref)) (import "a" "m" (memory 1)))"#).unwrap();
        assert_eq!(module_shape(&imported).unwrap(), ModuleShape::default());
        assert_eq!(module_shape(b"\0asm\x01\0\0\0\x04\x05"), None);
    }
}
