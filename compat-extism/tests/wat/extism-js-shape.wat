;; The shape of a module extism-js produces for a plugin that imports host
;; functions: two defined tables (the module's own function table, and a
;; second one through which every host import is called with
;; call_indirect), and a large data segment (the bundled engine and script).
;;
;; `on_filter` writes KV key "hits" through the second table
;; (owncast_kv_set), reads it back the same way (owncast_kv_get) and drops
;; the message with reason "<value>|<last bytes of the data segment>".
;; The data segment is put in by the test (at the marker line below) so the
;; fixture stays small in the repository.
(module
  (type $kv_set_t (func (param i64 i64)))
  (type $kv_get_t (func (param i64) (result i64)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "owncast_kv_set" (func $kv_set (type $kv_set_t)))
  (import "extism:host/user" "owncast_kv_get" (func $kv_get (type $kv_get_t)))
  (memory (export "memory") 160)

  ;; Table 0: the module's own functions.
  (table $funcs 2 funcref)
  (elem (table $funcs) (i32.const 0) func $to_kernel $from_kernel)
  ;; Table 1: the host imports, reached only through call_indirect.
  (table $host 2 funcref)
  (elem (table $host) (i32.const 0) func $kv_set $kv_get)

  (data (i32.const 1024) "hits")
  (data (i32.const 1040) "big")
  (data (i32.const 2048) "{\"action\":\"drop\",\"reason\":\"")

  ;; Copies linear memory into a new kernel block.
  (func $to_kernel (param $ptr i32) (param $len i32) (result i64)
    (local $off i64) (local $i i32)
    (local.set $off (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))
                      (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $off))

  ;; Copies a kernel block to linear memory at $dst; returns its length.
  (func $from_kernel (param $off i64) (param $dst i32) (result i32)
    (local $len i32) (local $i i32)
    (local.set $len (i32.wrap_i64 (call $length (local.get $off))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (i32.store8 (i32.add (local.get $dst) (local.get $i))
                  (call $load_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.get $len))

  (func (export "on_filter") (result i32)
    (local $at i32)
    ;; kv_set("hits", "big") through table 1, slot 0.
    (call_indirect $host (type $kv_set_t)
      (call_indirect $funcs (param i32 i32) (result i64) (i32.const 1024) (i32.const 4) (i32.const 0))
      (call_indirect $funcs (param i32 i32) (result i64) (i32.const 1040) (i32.const 3) (i32.const 0))
      (i32.const 0))
    ;; `{"action":"drop","reason":"` is 27 bytes at 2048; the KV value follows it.
    (local.set $at (i32.const 2075))
    (local.set $at (i32.add (local.get $at)
      (call_indirect $funcs (param i64 i32) (result i32)
        (call_indirect $host (type $kv_get_t)
          (call_indirect $funcs (param i32 i32) (result i64) (i32.const 1024) (i32.const 4) (i32.const 0))
          (i32.const 1))
        (local.get $at)
        (i32.const 1))))
    (i32.store8 (local.get $at) (i32.const 124)) ;; '|'
    (local.set $at (i32.add (local.get $at) (i32.const 1)))
    ;; The last 16 bytes of the big data segment (its end is at global $data_end).
    (memory.copy (local.get $at) (i32.sub (global.get $data_end) (i32.const 16)) (i32.const 16))
    (local.set $at (i32.add (local.get $at) (i32.const 16)))
    (i32.store16 (local.get $at) (i32.const 0x7d22)) ;; "}
    (local.set $at (i32.add (local.get $at) (i32.const 2)))
    (call $output_set
      (call_indirect $funcs (param i32 i32) (result i64) (i32.const 2048) (i32.sub (local.get $at) (i32.const 2048)) (i32.const 0))
      (i64.extend_i32_u (i32.sub (local.get $at) (i32.const 2048))))
    (i32.const 0))

  ;;BIG-DATA;;
)
