//go:build !owncastplugins_dynamic && !owncastplugins_custom

package owncastplugins

// Default: link the static library built in this repository's shared dev
// profile (cargo build -p owncast-plugin-capi). See docs/EMBEDDING.md for
// release builds and other platforms.

// #cgo LDFLAGS: ${SRCDIR}/../../target/debug/libowncastplugin.a -lgcc_s -lutil -lrt -lpthread -lm -ldl -lc
import "C"
