package owncastplugins

import (
	"encoding/json"
	"fmt"
)

// The wire protocol's records (docs/WIRE_PROTOCOL.md), in their JSON form.
// Missing fields take their zero values on both sides.

// User is a chat participant.
type User struct {
	ID            string   `json:"id"`
	DisplayName   string   `json:"displayName"`
	DisplayColor  *uint32  `json:"displayColor,omitempty"`
	CreatedAt     *string  `json:"createdAt,omitempty"`
	PreviousNames []string `json:"previousNames,omitempty"`
	Scopes        []string `json:"scopes,omitempty"`
	IsBot         bool     `json:"isBot"`
	Authenticated bool     `json:"authenticated"`
}

// ChatMessage is the payload of chat.message.received.
type ChatMessage struct {
	ID        string  `json:"id"`
	User      User    `json:"user"`
	Body      string  `json:"body"`
	Timestamp string  `json:"timestamp"`
	ClientID  *uint64 `json:"clientId,omitempty"`
}

// ChatClient is a connected chat client.
type ChatClient struct {
	ID           uint64  `json:"id"`
	User         User    `json:"user"`
	ConnectedAt  string  `json:"connectedAt"`
	UserAgent    *string `json:"userAgent,omitempty"`
	MessageCount uint32  `json:"messageCount"`
}

// StreamInfo describes the live stream.
type StreamInfo struct {
	Online      bool    `json:"online"`
	Title       string  `json:"title"`
	StartedAt   *string `json:"startedAt,omitempty"`
	ViewerCount uint32  `json:"viewerCount"`
}

// Broadcaster is the encoder connected to Owncast.
type Broadcaster struct {
	RemoteAddr  string  `json:"remoteAddr"`
	ConnectedAt string  `json:"connectedAt"`
	Encoder     *string `json:"encoder,omitempty"`
	Width       *uint32 `json:"width,omitempty"`
	Height      *uint32 `json:"height,omitempty"`
	Framerate   *uint32 `json:"framerate,omitempty"`
	VideoCodec  *string `json:"videoCodec,omitempty"`
	AudioCodec  *string `json:"audioCodec,omitempty"`
}

// ServerInfo is the server's public description.
type ServerInfo struct {
	Name      string  `json:"name"`
	Summary   string  `json:"summary"`
	ServerURL string  `json:"serverUrl"`
	LogoURL   *string `json:"logoUrl,omitempty"`
	Version   string  `json:"version"`
	NSFW      bool    `json:"nsfw"`
}

// SocialHandle is one of the server's social links.
type SocialHandle struct {
	Platform string  `json:"platform"`
	URL      string  `json:"url"`
	Icon     *string `json:"icon,omitempty"`
}

// FederationInfo describes the server's fediverse account.
type FederationInfo struct {
	Enabled       bool   `json:"enabled"`
	Username      string `json:"username"`
	Account       string `json:"account"`
	FollowerCount uint32 `json:"followerCount"`
}

// VideoVariant is one output quality.
type VideoVariant struct {
	Name             string  `json:"name"`
	VideoBitrate     uint32  `json:"videoBitrate"`
	Framerate        uint32  `json:"framerate"`
	Width            *uint32 `json:"width,omitempty"`
	Height           *uint32 `json:"height,omitempty"`
	CPUUsageLevel    uint32  `json:"cpuUsageLevel"`
	VideoPassthrough bool    `json:"videoPassthrough"`
	AudioPassthrough bool    `json:"audioPassthrough"`
}

// VideoConfig is the video configuration.
type VideoConfig struct {
	LatencyLevel uint32         `json:"latencyLevel"`
	Codec        string         `json:"codec"`
	Variants     []VideoVariant `json:"variants,omitempty"`
}

// VideoConfigUpdate changes the fields that are not nil.
type VideoConfigUpdate struct {
	LatencyLevel *uint32        `json:"latencyLevel,omitempty"`
	Codec        *string        `json:"codec,omitempty"`
	Variants     []VideoVariant `json:"variants,omitempty"`
}

// BrowserPush is a browser push notification.
type BrowserPush struct {
	Title string  `json:"title"`
	Body  string  `json:"body"`
	URL   *string `json:"url,omitempty"`
}

// Caller names the plugin a host call comes from.
type Caller struct {
	Slug string `json:"slug"`
	// BotName is the plugin's chat identity (bot.displayName, or its name).
	BotName string `json:"botName"`
}

// ChatSend is a chat message a plugin sends. Kind is "message", "action"
// (Body), "system" (HTML, already sanitized by the host) or "to" (Body to
// the client ClientID only).
type ChatSend struct {
	Kind     string `json:"kind"`
	Body     string `json:"body,omitempty"`
	HTML     string `json:"html,omitempty"`
	ClientID uint64 `json:"client_id,omitempty"`
}

// Text is the message as one line: the body, or the HTML of a system message.
func (c ChatSend) Text() string {
	if c.Kind == "system" {
		return c.HTML
	}
	return c.Body
}

// Event is an event in the legacy envelope: {"eventType": ..., "payload": {...}}.
type Event struct {
	Type    string          `json:"eventType"`
	Payload json.RawMessage `json:"payload"`
}

// NewEvent builds an event from its type and any payload that marshals to
// JSON (a ChatMessage for chat.message.received, your own struct for a
// custom event).
func NewEvent(eventType string, payload interface{}) (Event, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("owncastplugins: payload of %s: %w", eventType, err)
	}
	return Event{Type: eventType, Payload: b}, nil
}

// ChatMessageEvent is chat.message.received for m.
func ChatMessageEvent(m ChatMessage) Event {
	ev, err := NewEvent("chat.message.received", m)
	if err != nil {
		panic(err) // a ChatMessage always marshals
	}
	return ev
}

// DecodePayload unmarshals the payload into v.
func (e Event) DecodePayload(v interface{}) error {
	return json.Unmarshal(e.Payload, v)
}

// The outcome of a filter chain.
const (
	ResultPass     = "pass"
	ResultModified = "modified"
	ResultDropped  = "dropped"
	// ResultFailed is a step whose plugin failed (trapped, threw, ran out of
	// time): the chain went on as if it had passed.
	ResultFailed = "failed"
)

// Outcome is what the filter chain did with an event.
type Outcome struct {
	// Result is ResultPass, ResultModified or ResultDropped.
	Result string `json:"result"`
	// Event is the event after the last filter that ran.
	Event Event `json:"event"`
	// Dropped says which plugin dropped the event and why.
	Dropped *Drop `json:"dropped"`
	// Steps is one entry per filter that ran, in order.
	Steps []Step `json:"steps"`
}

// Drop is a filter's decision to drop an event.
type Drop struct {
	Plugin string `json:"plugin"`
	Reason string `json:"reason"`
}

// Step is one filter of the chain.
type Step struct {
	Plugin string `json:"plugin"`
	// Result is ResultPass, ResultModified, ResultDropped or ResultFailed.
	Result string `json:"result"`
	Reason string `json:"reason,omitempty"`
	// Error is why the plugin failed (ResultFailed).
	Error string `json:"error,omitempty"`
}

// PluginInfo is what the admin sees of one installed plugin.
type PluginInfo struct {
	Slug        string `json:"slug"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
	// Status is "enabled", "disabled", "needs-approval", "failed" or "auto-disabled".
	Status  string `json:"status"`
	Enabled bool   `json:"enabled"`
	// Kind is "component", "extism", ... while running.
	Kind                  string   `json:"kind"`
	Source                string   `json:"source"`
	File                  string   `json:"file"`
	Permissions           []string `json:"permissions"`
	UnapprovedPermissions []string `json:"unapprovedPermissions"`
	Strikes               uint32   `json:"strikes"`
	LastError             string   `json:"lastError"`
	// Raw is the complete record as the admin API returns it.
	Raw json.RawMessage `json:"-"`
}

// RequestAuth is authentication the embedder established for an HTTP
// request (its own admin session, a chat user).
type RequestAuth struct {
	Admin bool  `json:"admin"`
	User  *User `json:"user,omitempty"`
}
