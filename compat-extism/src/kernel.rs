//! Extism's kernel memory, implemented natively.
//!
//! Extism plugins never share pointers with the host: they ask the kernel to
//! `alloc` a block, copy bytes into it with `store_u8`/`store_u64`, and hand
//! the block's *offset* to the host (and the other way round with
//! `load_*`). The official runtime keeps this memory in a second wasm
//! module; here it is a `Vec<u8>` in the instance's store, so every kernel
//! call is a plain host call with a bounds check.
//!
//! - Offsets are indexes into that vector. Offset `0` is never a block: it
//!   means "none" (an empty allocation, a missing value); offsets below
//!   [`BASE`] are out of range.
//! - Every guest call starts with an empty kernel memory ([`Kernel::reset`]),
//!   as in Extism, so blocks never leak from one call into the next.
//! - Small blocks come from power-of-two size classes and are reused after
//!   `free`; large blocks are reused best-fit; freeing the topmost block
//!   gives its bytes back.
//! - The memory counts against the plugin's memory cap together with its
//!   linear memory; an `alloc` past the cap is an error, not a `0` offset a
//!   guest would write through.

use std::collections::HashMap;

/// The first offset handed out; `0..BASE` is out of range, `0` means none.
pub const BASE: u64 = 8;
/// Blocks up to this size come from size classes.
const SMALL_MAX: u64 = 4096;
const MIN_CLASS: u32 = 4; // 16 bytes
const CLASSES: usize = 9; // 16 ..= 4096
/// Kernel memory kept allocated between calls.
const KEEP_BYTES: usize = 1 << 20;

/// A misuse of the kernel by the guest. Each one ends the call (a trap): a
/// plugin that computes offsets wrongly cannot be trusted with its state.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum KernelError {
    #[error("{call}: offset {offset} (+{len} bytes) is outside the kernel memory ({BASE}..{size})")]
    OutOfRange { call: &'static str, offset: u64, len: u64, size: u64 },
    #[error("{call}: input offset {offset} (+{len} bytes) is past the end of the input ({size} bytes)")]
    InputOutOfRange { call: &'static str, offset: u64, len: u64, size: u64 },
    #[error("{call}: pointer {ptr} (+{len} bytes) is outside the plugin's memory ({size} bytes)")]
    GuestOutOfRange { call: &'static str, ptr: u64, len: u64, size: u64 },
    #[error("{call}: the plugin exports no memory")]
    NoMemory { call: &'static str },
    #[error("{call}: offset {offset} is not the start of an allocated block")]
    NotABlock { call: &'static str, offset: u64 },
    #[error(
        "alloc({requested}): the plugin's memory cap of {cap} bytes would be exceeded \
         (linear memory {linear} bytes, kernel memory {kernel} bytes in use)"
    )]
    Cap { requested: u64, cap: u64, linear: u64, kernel: u64 },
}

#[derive(Debug, Clone, Copy)]
struct Block {
    len: u64,
    cap: u64,
    free: bool,
}

/// One instance's kernel memory plus the current call's input, output and error.
pub struct Kernel {
    mem: Vec<u8>,
    blocks: HashMap<u64, Block>,
    small_free: [Vec<u64>; CLASSES],
    large_free: Vec<u64>,
    /// The call's input, a block of its own (as in Extism's kernel).
    input: (u64, u64),
    output: Option<(u64, u64)>,
    error: Option<u64>,
}

impl Default for Kernel {
    fn default() -> Self {
        Kernel {
            mem: vec![0; BASE as usize],
            blocks: HashMap::new(),
            small_free: Default::default(),
            large_free: Vec::new(),
            input: (0, 0),
            output: None,
            error: None,
        }
    }
}

fn class_of(n: u64) -> (usize, u64) {
    let cap = n.next_power_of_two().max(1 << MIN_CLASS);
    ((cap.trailing_zeros() - MIN_CLASS) as usize, cap)
}

impl Kernel {
    /// Starts a call: forgets every block and puts the input in a block of
    /// its own (not counted against the cap: the host chose its size).
    pub fn reset(&mut self, input: &[u8]) {
        self.mem.truncate(BASE as usize);
        if self.mem.capacity() > KEEP_BYTES {
            self.mem.shrink_to(KEEP_BYTES);
        }
        self.blocks.clear();
        for l in &mut self.small_free {
            l.clear();
        }
        self.large_free.clear();
        self.output = None;
        self.error = None;
        self.input = (0, 0);
        if !input.is_empty() {
            let off = self.alloc(input.len() as u64, u64::MAX, 0, 0).expect("no cap");
            self.mem[off as usize..off as usize + input.len()].copy_from_slice(input);
            self.input = (off, input.len() as u64);
        }
    }

    /// Bytes this kernel memory holds, for the memory cap.
    pub fn footprint(&self) -> u64 {
        self.mem.len() as u64
    }

    /// Allocates `n` bytes. `budget` is how many bytes the kernel memory may
    /// hold in total (the cap minus linear memory); `cap`/`linear` only
    /// describe the refusal.
    pub fn alloc(&mut self, n: u64, budget: u64, cap: u64, linear: u64) -> Result<u64, KernelError> {
        if n == 0 {
            return Ok(0);
        }
        let reuse = if n <= SMALL_MAX {
            let (class, _) = class_of(n);
            self.small_free[class].pop()
        } else {
            // Best fit among freed large blocks.
            let mut best: Option<(usize, u64)> = None;
            for (i, off) in self.large_free.iter().enumerate() {
                let c = self.blocks[off].cap;
                if c >= n && best.map(|(_, bc)| c < bc).unwrap_or(true) {
                    best = Some((i, c));
                }
            }
            best.map(|(i, _)| self.large_free.swap_remove(i))
        };
        if let Some(off) = reuse {
            let b = self.blocks.get_mut(&off).expect("free lists hold blocks");
            b.len = n;
            b.free = false;
            return Ok(off);
        }
        let cap_bytes =
            if n <= SMALL_MAX { class_of(n).1 } else { n.checked_add(15).map(|v| v & !15).unwrap_or(u64::MAX) };
        let off = self.mem.len() as u64;
        let end = off.saturating_add(cap_bytes);
        if end > budget {
            return Err(KernelError::Cap { requested: n, cap, linear, kernel: self.footprint() });
        }
        self.mem.resize(end as usize, 0);
        self.blocks.insert(off, Block { len: n, cap: cap_bytes, free: false });
        Ok(off)
    }

    /// Frees a block; anything that is not a live block is ignored (as in
    /// Extism), and so is the input block: `input_load_*` read it for the
    /// whole call, so it stays until the next [`reset`](Self::reset).
    pub fn free(&mut self, off: u64) {
        if off == self.input.0 {
            return;
        }
        let Some(b) = self.blocks.get_mut(&off) else { return };
        if b.free {
            return;
        }
        if off + b.cap == self.mem.len() as u64 {
            // The topmost block: give the bytes back.
            self.blocks.remove(&off);
            self.mem.truncate(off as usize);
            return;
        }
        b.free = true;
        if b.cap <= SMALL_MAX {
            self.small_free[class_of(b.cap).0].push(off);
        } else {
            self.large_free.push(off);
        }
    }

    /// The length of the live block at `off`, `0` for anything else.
    pub fn length(&self, off: u64) -> u64 {
        match self.blocks.get(&off) {
            Some(b) if !b.free => b.len,
            _ => 0,
        }
    }

    /// The length recorded at `off` without checking that the block is live.
    pub fn length_unsafe(&self, off: u64) -> u64 {
        self.blocks.get(&off).map(|b| b.len).unwrap_or(0)
    }

    fn range(&self, call: &'static str, off: u64, len: u64) -> Result<std::ops::Range<usize>, KernelError> {
        let size = self.mem.len() as u64;
        match off.checked_add(len) {
            Some(end) if off >= BASE && end <= size => Ok(off as usize..end as usize),
            _ => Err(KernelError::OutOfRange { call, offset: off, len, size }),
        }
    }

    pub fn load_u8(&self, off: u64) -> Result<u8, KernelError> {
        let r = self.range("load_u8", off, 1)?;
        Ok(self.mem[r.start])
    }

    pub fn load_u64(&self, off: u64) -> Result<u64, KernelError> {
        let r = self.range("load_u64", off, 8)?;
        Ok(u64::from_le_bytes(self.mem[r].try_into().unwrap()))
    }

    pub fn store_u8(&mut self, off: u64, v: u8) -> Result<(), KernelError> {
        let r = self.range("store_u8", off, 1)?;
        self.mem[r.start] = v;
        Ok(())
    }

    pub fn store_u64(&mut self, off: u64, v: u64) -> Result<(), KernelError> {
        let r = self.range("store_u64", off, 8)?;
        self.mem[r].copy_from_slice(&v.to_le_bytes());
        Ok(())
    }

    /// `len` bytes of kernel memory at `off` (any range inside it, as
    /// `load_u64` reads).
    pub fn load(&self, call: &'static str, off: u64, len: u64) -> Result<&[u8], KernelError> {
        let r = self.range(call, off, len)?;
        Ok(&self.mem[r])
    }

    /// Writes `bytes` at `off` (any range inside kernel memory, as
    /// `store_u64` writes).
    pub fn store(&mut self, call: &'static str, off: u64, bytes: &[u8]) -> Result<(), KernelError> {
        let r = self.range(call, off, bytes.len() as u64)?;
        self.mem[r].copy_from_slice(bytes);
        Ok(())
    }

    /// The input's first `len` bytes.
    pub fn input(&self, call: &'static str, len: u64) -> Result<&[u8], KernelError> {
        let r = self.input_range(call, 0, len)?;
        Ok(&self.mem[r])
    }

    pub fn input_length(&self) -> u64 {
        self.input.1
    }

    /// The offset of the input block (`0` when the input is empty).
    pub fn input_offset(&self) -> u64 {
        self.input.0
    }

    fn input_range(&self, call: &'static str, off: u64, len: u64) -> Result<std::ops::Range<usize>, KernelError> {
        let (base, size) = self.input;
        match off.checked_add(len) {
            Some(end) if end <= size => Ok((base + off) as usize..(base + end) as usize),
            _ => Err(KernelError::InputOutOfRange { call, offset: off, len, size }),
        }
    }

    pub fn input_load_u8(&self, off: u64) -> Result<u8, KernelError> {
        let r = self.input_range("input_load_u8", off, 1)?;
        Ok(self.mem[r.start])
    }

    pub fn input_load_u64(&self, off: u64) -> Result<u64, KernelError> {
        let r = self.input_range("input_load_u64", off, 8)?;
        Ok(u64::from_le_bytes(self.mem[r].try_into().unwrap()))
    }

    /// `output_set(offset, length)`: the call's output is those bytes.
    pub fn output_set(&mut self, off: u64, len: u64) -> Result<(), KernelError> {
        if len == 0 {
            self.output = None;
            return Ok(());
        }
        self.range("output_set", off, len)?;
        self.output = Some((off, len));
        Ok(())
    }

    /// `error_set(offset)`: the call failed with the message in that block (`0` clears).
    pub fn error_set(&mut self, off: u64) -> Result<(), KernelError> {
        if off == 0 {
            self.error = None;
            return Ok(());
        }
        if self.length(off) == 0 {
            return Err(KernelError::NotABlock { call: "error_set", offset: off });
        }
        self.error = Some(off);
        Ok(())
    }

    /// The bytes of the live block at `off` (`None` for offset 0).
    pub fn block(&self, call: &'static str, off: u64) -> Result<Option<&[u8]>, KernelError> {
        if off == 0 {
            return Ok(None);
        }
        match self.blocks.get(&off) {
            Some(b) if !b.free => Ok(Some(&self.mem[off as usize..(off + b.len) as usize])),
            _ => Err(KernelError::NotABlock { call, offset: off }),
        }
    }

    /// Copies `data` into a new block (`0` for empty data).
    pub fn alloc_bytes(&mut self, data: &[u8], budget: u64, cap: u64, linear: u64) -> Result<u64, KernelError> {
        let off = self.alloc(data.len() as u64, budget, cap, linear)?;
        if off != 0 {
            self.mem[off as usize..off as usize + data.len()].copy_from_slice(data);
        }
        Ok(off)
    }

    /// The output of the call that just ended; `None` if the guest freed
    /// the memory under it after `output_set`.
    pub fn output(&self) -> Option<&[u8]> {
        match self.output {
            Some((off, len)) => self.mem.get(off as usize..(off + len) as usize),
            None => Some(&[]),
        }
    }

    pub fn output_len(&self) -> u64 {
        self.output.map(|(_, l)| l).unwrap_or(0)
    }

    /// The message passed to `error_set` during the call that just ended.
    pub fn error_message(&self) -> Option<String> {
        let off = self.error?;
        let b = self.blocks.get(&off)?;
        Some(String::from_utf8_lossy(&self.mem[off as usize..(off + b.len) as usize]).into_owned())
    }
}

/// Extism vars: per-instance key/value bytes that survive across calls,
/// capped in total size (`memory.max_var_bytes` of the Extism manifest).
#[derive(Default)]
pub struct Vars {
    map: HashMap<String, Vec<u8>>,
    bytes: u64,
}

impl Vars {
    pub fn get(&self, key: &str) -> Option<&[u8]> {
        self.map.get(key).map(Vec::as_slice)
    }

    /// Sets (or with `None` removes) a var; refuses when the total would pass `max`.
    pub fn set(&mut self, key: &str, value: Option<&[u8]>, max: u64) -> Result<(), String> {
        let old = self.map.get(key).map(|v| (key.len() + v.len()) as u64).unwrap_or(0);
        match value {
            None => {
                self.map.remove(key);
                self.bytes -= old;
            }
            Some(v) => {
                let new = (key.len() + v.len()) as u64;
                let total = self.bytes - old + new;
                if total > max {
                    return Err(format!(
                        "var_set(\"{key}\"): vars would hold {total} bytes; the limit is {max} (memory.max_var_bytes)"
                    ));
                }
                self.map.insert(key.to_string(), v.to_vec());
                self.bytes = total;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIG: u64 = 1 << 30;

    #[test]
    fn blocks_have_lengths_and_are_reused() {
        let mut k = Kernel::default();
        assert_eq!(k.alloc(0, BIG, BIG, 0).unwrap(), 0);
        let a = k.alloc(5, BIG, BIG, 0).unwrap();
        let b = k.alloc(100, BIG, BIG, 0).unwrap();
        assert!(a >= BASE && b > a);
        assert_eq!(k.length(a), 5);
        assert_eq!(k.length(b), 100);
        assert_eq!(k.length(a + 1), 0);
        k.store_u64(a, 0x0102030405060708).unwrap();
        assert_eq!(k.load_u64(a).unwrap(), 0x0102030405060708);
        assert_eq!(k.load_u8(a).unwrap(), 8);
        k.free(a);
        assert_eq!(k.length(a), 0);
        assert_eq!(k.length_unsafe(a), 5);
        assert_eq!(k.alloc(9, BIG, BIG, 0).unwrap(), a, "same size class");
        // Freeing the top block shrinks the memory.
        let before = k.footprint();
        k.free(b);
        assert!(k.footprint() < before);
    }

    #[test]
    fn out_of_range_offsets_are_errors() {
        let mut k = Kernel::default();
        let a = k.alloc(8, BIG, BIG, 0).unwrap();
        assert!(matches!(k.load_u64(a + 16), Err(KernelError::OutOfRange { .. })));
        assert!(matches!(k.load_u8(0), Err(KernelError::OutOfRange { .. })));
        assert!(matches!(k.store_u64(u64::MAX - 3, 1), Err(KernelError::OutOfRange { .. })));
        assert!(matches!(k.error_set(a + 1), Err(KernelError::NotABlock { .. })));
        k.reset(b"abc");
        assert_eq!(k.input_load_u8(2).unwrap(), b'c');
        assert_eq!(k.length(k.input_offset()), 3);
        assert!(k.input_load_u64(0).is_err());
    }

    #[test]
    fn the_input_block_cannot_be_freed() {
        // Found by the `extism_kernel` fuzz target (fuzz/regressions/extism_kernel):
        // freeing the input block, the topmost one, gave its bytes back, and
        // the next input_load read past the end of the kernel memory (a panic
        // in the host).
        let mut k = Kernel::default();
        k.reset(b"abcdefgh");
        let input = k.input_offset();
        k.free(input);
        assert_eq!(k.input_load_u8(7).unwrap(), b'h');
        assert_eq!(k.input_load_u64(0).unwrap(), u64::from_le_bytes(*b"abcdefgh"));
        assert_eq!(k.length(input), 8);
        // The next allocation does not take its place.
        let a = k.alloc(8, BIG, BIG, 0).unwrap();
        assert_ne!(a, input);
    }

    #[test]
    fn the_cap_is_enforced() {
        let mut k = Kernel::default();
        let e = k.alloc(2000, 1024, 4096, 3072).unwrap_err();
        assert!(e.to_string().contains("memory cap of 4096 bytes"), "{e}");
    }

    #[test]
    fn vars_are_capped() {
        let mut v = Vars::default();
        v.set("a", Some(b"1234"), 10).unwrap();
        assert!(v.set("b", Some(b"123456789"), 10).is_err());
        v.set("a", None, 10).unwrap();
        v.set("b", Some(b"12345678"), 10).unwrap();
        assert_eq!(v.get("b"), Some(&b"12345678"[..]));
    }
}
