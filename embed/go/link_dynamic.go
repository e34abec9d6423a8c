//go:build owncastplugins_dynamic && !owncastplugins_custom

package owncastplugins

// -tags owncastplugins_dynamic: link the shared library next to the static
// one, found at run time through the rpath.

// #cgo LDFLAGS: -L${SRCDIR}/../../target/debug -lowncastplugin -Wl,-rpath,${SRCDIR}/../../target/debug
import "C"
