package owncastplugins

/*
#include "owncast_plugin.h"
*/
import "C"

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

type requestHead struct {
	Method     string       `json:"method"`
	URI        string       `json:"uri"`
	Headers    [][2]string  `json:"headers"`
	RemoteAddr string       `json:"remoteAddr,omitempty"`
	Auth       *RequestAuth `json:"auth,omitempty"`
}

type responseHead struct {
	Status  int         `json:"status"`
	Headers [][2]string `json:"headers"`
}

// How long one wait for the next piece of a streamed body lasts before
// ServeHTTP checks whether its client went away.
const streamPollMs = 200

// Headers that describe a connection, not a response: net/http writes its own.
var hopByHop = map[string]bool{"connection": true, "keep-alive": true, "transfer-encoding": true, "content-length": true}

// ServeHTTP routes a request through the host: /plugins/<slug>/... (files,
// the plugin's handler, server-sent events, streamed until the client goes
// away), /api/plugins/actions and the admin API /api/admin/plugins.... Mount
// it on those paths without stripping the prefix.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, h.maxBody+1))
	if err != nil {
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	head := requestHead{Method: r.Method, URI: r.URL.RequestURI(), RemoteAddr: r.RemoteAddr}
	if r.Host != "" {
		head.Headers = append(head.Headers, [2]string{"host", r.Host})
	}
	for k, vs := range r.Header {
		for _, v := range vs {
			head.Headers = append(head.Headers, [2]string{k, v})
		}
	}
	if h.auth != nil {
		head.Auth = h.auth(r)
	}
	headJSON, err := json.Marshal(head)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var resp *C.OcpResponse
	b, err := h.call(r.Context(), func(p *C.OcpHost, t C.uint32_t, c *C.OcpCancel, out *C.OcpBuf) C.int32_t {
		return C.ocp_http(p, cbytes(headJSON), C.size_t(len(headJSON)), cbytes(body), C.size_t(len(body)), t, c, &resp, out)
	})
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away
		}
		status := http.StatusInternalServerError
		if errors.Is(err, ErrClosed) {
			status = http.StatusServiceUnavailable
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		msg, _ := json.Marshal(map[string]string{"error": err.Error()})
		w.Write(msg)
		return
	}
	defer C.ocp_response_free(resp)
	var rh responseHead
	if err := json.Unmarshal(b, &rh); err != nil {
		http.Error(w, "bad response head from the host: "+err.Error(), http.StatusInternalServerError)
		return
	}
	for _, kv := range rh.Headers {
		if !hopByHop[strings.ToLower(kv[0])] {
			w.Header().Add(kv[0], kv[1])
		}
	}
	w.WriteHeader(rh.Status)
	flusher, _ := w.(http.Flusher)
	for {
		var out C.OcpBuf
		rc := C.ocp_response_next(resp, streamPollMs, &out)
		chunk := takeBuf(&out)
		switch rc {
		case codeOK:
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		case codePending:
			if r.Context().Err() != nil {
				return
			}
		default: // codeEnd, or a failure mid-body: the response ends here
			return
		}
	}
}
