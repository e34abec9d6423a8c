package owncastplugins

/*
#include "owncast_plugin.h"
*/
import "C"

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/cgo"
	"unsafe"
)

// Owncast is what only Owncast knows: the host calls it when a plugin uses
// a capability its admin approved (the permission check is the host's).
// It mirrors the host's Rust trait owncast_plugin_host::owncast::Owncast.
//
// Methods are called from the host's threads, several at once, and run on
// the calling plugin's time budget: keep them quick and never call back
// into the Host from one.
type Owncast interface {
	SendChat(from Caller, msg ChatSend)
	ChatHistory(limit uint32) []ChatMessage
	ChatClients() []ChatClient
	// DeleteMessage, KickClient, SetUserEnabled and BanIP return an error
	// the plugin sees (upstream's {"error": ...}) when Owncast could not do it.
	DeleteMessage(from Caller, messageID string) error
	KickClient(from Caller, clientID uint64) error
	// Upload stores a file a plugin uploads and returns its URL.
	Upload(from Caller, name string, data []byte) (url string, err error)
	StreamCurrent() StreamInfo
	// StreamBroadcaster is nil when no encoder is connected.
	StreamBroadcaster() *Broadcaster
	ServerInfo() ServerInfo
	ServerSocials() []SocialHandle
	ServerEmotes() []Emote
	ServerFederation() FederationInfo
	ServerTags() []string
	VideoConfig() VideoConfig
	WriteVideoConfig(from Caller, update VideoConfigUpdate) error
	NotifyDiscord(from Caller, content string)
	NotifyBrowserPush(from Caller, push BrowserPush)
	NotifyFediverse(from Caller, n FediverseNotification)
	Users() []User
	// User is nil when there is no such user.
	User(id string) *User
	SetUserEnabled(from Caller, id string, enabled bool, reason string) error
	BanIP(from Caller, ip string) error
	// FediversePost publishes a post and returns its URL.
	FediversePost(from Caller, content string) (url string, err error)
}

// Observer is optional: an Owncast that also implements it hears about
// dispatch (events plugins emit, failed calls, plugins the host disabled).
type Observer interface {
	Emitted(from string, ev Event, depth uint32)
	Failed(plugin, call, err string)
	Disabled(plugin, reason string)
}

// NoOwncast answers every read empty and ignores every write: embed it in a
// type to implement only part of Owncast.
type NoOwncast struct{}

var errUnsupported = errors.New("not supported by this server")

func (NoOwncast) SendChat(Caller, ChatSend)                         {}
func (NoOwncast) ChatHistory(uint32) []ChatMessage                  { return nil }
func (NoOwncast) ChatClients() []ChatClient                         { return nil }
func (NoOwncast) DeleteMessage(Caller, string) error                { return errUnsupported }
func (NoOwncast) KickClient(Caller, uint64) error                   { return errUnsupported }
func (NoOwncast) Upload(Caller, string, []byte) (string, error)     { return "", errUnsupported }
func (NoOwncast) StreamCurrent() StreamInfo                         { return StreamInfo{} }
func (NoOwncast) StreamBroadcaster() *Broadcaster                   { return nil }
func (NoOwncast) ServerInfo() ServerInfo                            { return ServerInfo{} }
func (NoOwncast) ServerSocials() []SocialHandle                     { return nil }
func (NoOwncast) ServerEmotes() []Emote                             { return nil }
func (NoOwncast) ServerFederation() FederationInfo                  { return FederationInfo{} }
func (NoOwncast) ServerTags() []string                              { return nil }
func (NoOwncast) VideoConfig() VideoConfig                          { return VideoConfig{} }
func (NoOwncast) WriteVideoConfig(Caller, VideoConfigUpdate) error  { return errUnsupported }
func (NoOwncast) NotifyDiscord(Caller, string)                      {}
func (NoOwncast) NotifyBrowserPush(Caller, BrowserPush)             {}
func (NoOwncast) NotifyFediverse(Caller, FediverseNotification)     {}
func (NoOwncast) Users() []User                                     { return nil }
func (NoOwncast) User(string) *User                                 { return nil }
func (NoOwncast) SetUserEnabled(Caller, string, bool, string) error { return errUnsupported }
func (NoOwncast) BanIP(Caller, string) error                        { return errUnsupported }
func (NoOwncast) FediversePost(Caller, string) (string, error)      { return "", errUnsupported }

// embedder is what the cgo.Handle in the host's user_data refers to.
type embedder struct {
	owncast  Owncast
	observer Observer
}

// methods lists every callback method the dispatcher answers (the test
// checks it against the host's list).
var methods = []string{
	"chat.send", "chat.history", "chat.clients", "chat.delete", "chat.kick", "upload",
	"stream.current", "stream.broadcaster", "server.info", "server.socials", "server.emotes", "server.federation",
	"server.tags", "video.config", "video.config.write", "notify.discord", "notify.browserPush",
	"notify.fediverse", "users.list", "users.get", "users.setEnabled", "users.banIp", "fediverse.post",
	"observe.emitted", "observe.failed", "observe.disabled",
}

// hostCallbackMethods is the host's list of callback methods.
func hostCallbackMethods() ([]string, error) {
	var out C.OcpBuf
	rc := C.ocp_callback_methods(&out)
	b := takeBuf(&out)
	if rc != codeOK {
		return nil, &Error{Code: int(rc), Message: string(b)}
	}
	var names []string
	err := json.Unmarshal(b, &names)
	return names, err
}

// args is the union of every callback's arguments.
type args struct {
	From      Caller            `json:"from"`
	Message   ChatSend          `json:"message"`
	Limit     uint32            `json:"limit"`
	MessageID string            `json:"messageId"`
	ClientID  uint64            `json:"clientId"`
	Name      string            `json:"name"`
	Data      string            `json:"data"`
	Update    VideoConfigUpdate `json:"update"`
	Content   string            `json:"content"`
	Push      BrowserPush       `json:"push"`
	// Notification is notify.fediverse's record (Content is its body).
	Notification *FediverseNotification `json:"notification"`
	ID           string                 `json:"id"`
	Enabled      bool                   `json:"enabled"`
	Reason       string                 `json:"reason"`
	IP           string                 `json:"ip"`
	// observe.*
	Plugin string `json:"plugin"`
	Call   string `json:"call"`
	Error  string `json:"error"`
	Event  Event  `json:"event"`
	Depth  uint32 `json:"depth"`
}

type urlResult struct {
	URL string `json:"url"`
}

type opResult struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// dispatch answers one callback: the JSON answer, or an error.
func (e *embedder) dispatch(method string, raw []byte) (interface{}, error) {
	var a args
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a); err != nil {
			return nil, fmt.Errorf("%s: arguments: %w", method, err)
		}
	}
	o := e.owncast
	switch method {
	case "chat.send":
		o.SendChat(a.From, a.Message)
	case "chat.history":
		return nonNil(o.ChatHistory(a.Limit)), nil
	case "chat.clients":
		return nonNil(o.ChatClients()), nil
	case "chat.delete":
		return nil, o.DeleteMessage(a.From, a.MessageID)
	case "chat.kick":
		return nil, o.KickClient(a.From, a.ClientID)
	case "upload":
		data, err := base64.StdEncoding.DecodeString(a.Data)
		if err != nil {
			return nil, fmt.Errorf("upload: data: %w", err)
		}
		url, err := o.Upload(a.From, a.Name, data)
		if err != nil {
			return nil, err
		}
		return urlResult{url}, nil
	case "stream.current":
		return o.StreamCurrent(), nil
	case "stream.broadcaster":
		return o.StreamBroadcaster(), nil
	case "server.info":
		return o.ServerInfo(), nil
	case "server.socials":
		return nonNil(o.ServerSocials()), nil
	case "server.emotes":
		return nonNil(o.ServerEmotes()), nil
	case "server.federation":
		return o.ServerFederation(), nil
	case "server.tags":
		return nonNil(o.ServerTags()), nil
	case "video.config":
		return o.VideoConfig(), nil
	case "video.config.write":
		if err := o.WriteVideoConfig(a.From, a.Update); err != nil {
			return opResult{OK: false, Error: err.Error()}, nil
		}
		return opResult{OK: true}, nil
	case "notify.discord":
		o.NotifyDiscord(a.From, a.Content)
	case "notify.browserPush":
		o.NotifyBrowserPush(a.From, a.Push)
	case "notify.fediverse":
		n := FediverseNotification{Body: a.Content}
		if a.Notification != nil {
			n = *a.Notification
		}
		o.NotifyFediverse(a.From, n)
	case "users.list":
		return nonNil(o.Users()), nil
	case "users.get":
		return o.User(a.ID), nil
	case "users.setEnabled":
		return nil, o.SetUserEnabled(a.From, a.ID, a.Enabled, a.Reason)
	case "users.banIp":
		return nil, o.BanIP(a.From, a.IP)
	case "fediverse.post":
		url, err := o.FediversePost(a.From, a.Content)
		if err != nil {
			return nil, err
		}
		return urlResult{url}, nil
	case "observe.emitted":
		if e.observer != nil {
			e.observer.Emitted(a.Plugin, a.Event, a.Depth)
		}
	case "observe.failed":
		if e.observer != nil {
			e.observer.Failed(a.Plugin, a.Call, a.Error)
		}
	case "observe.disabled":
		if e.observer != nil {
			e.observer.Disabled(a.Plugin, a.Reason)
		}
	default:
		return nil, fmt.Errorf("unknown callback method %q", method)
	}
	return nil, nil
}

// nonNil keeps an empty list a JSON list rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func setReply(reply *C.OcpReply, b []byte) {
	if len(b) == 0 {
		C.ocp_reply_set(reply, nil, 0)
		return
	}
	C.ocp_reply_set(reply, (*C.uint8_t)(unsafe.Pointer(&b[0])), C.size_t(len(b)))
}

//export ocpGoCall
func ocpGoCall(handle C.uintptr_t, method *C.char, argp *C.uint8_t, argsLen C.size_t, reply *C.OcpReply) (rc C.int32_t) {
	name := C.GoString(method)
	defer func() {
		if p := recover(); p != nil {
			setReply(reply, []byte(fmt.Sprintf("%s: the Go callback panicked: %v", name, p)))
			rc = 1
		}
	}()
	e := cgo.Handle(handle).Value().(*embedder)
	raw := C.GoBytes(unsafe.Pointer(argp), C.int(argsLen))
	answer, err := e.dispatch(name, raw)
	if err != nil {
		setReply(reply, []byte(err.Error()))
		return 1
	}
	if answer == nil {
		setReply(reply, nil)
		return 0
	}
	b, err := json.Marshal(answer)
	if err != nil {
		setReply(reply, []byte(fmt.Sprintf("%s: answer: %v", name, err)))
		return 1
	}
	setReply(reply, b)
	return 0
}

//export ocpGoRelease
func ocpGoRelease(handle C.uintptr_t) {
	cgo.Handle(handle).Delete()
}
