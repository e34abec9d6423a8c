// C side of the Go bindings: the callback table handed to the host, whose
// functions forward to the Go exports. user_data carries a runtime/cgo
// Handle (an integer), so Go never hands Rust a Go pointer.
#include "_cgo_export.h"

static int32_t ocp_go_call(void *user_data, const char *method, const uint8_t *args, size_t args_len, OcpReply *reply) {
	return ocpGoCall((uintptr_t)user_data, (char *)method, (uint8_t *)args, args_len, reply);
}

static void ocp_go_release(void *user_data) {
	ocpGoRelease((uintptr_t)user_data);
}

int32_t ocp_go_host_new(const uint8_t *config, size_t config_len, uintptr_t handle, OcpHost **host_out, OcpBuf *err) {
	OcpCallbacks cb = { (void *)handle, ocp_go_call, ocp_go_release };
	return ocp_host_new(config, config_len, &cb, host_out, err);
}
