package llm

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Message is one message of a request as it was sent.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Sent is one request of a transcript as the model received it: the chat
// messages, or the raw prompt of a completion (steerable reasoning).
type Sent struct {
	Role, Call, Model string
	Seq, Attempt      int
	Status            int
	Messages          []Message
	Prompt            string
}

// SentFor returns the requests the transcript holds for node, in the
// order they were sent (every attempt, every role).
func SentFor(records []Record, node string) ([]Sent, error) {
	var out []Sent
	for _, r := range records {
		if r.Node != node {
			continue
		}
		s := Sent{Role: r.Role, Call: r.Call, Model: r.Model, Seq: r.Seq, Attempt: r.Attempt, Status: r.Status}
		if len(r.Request) > 0 {
			var req struct {
				Messages []struct {
					Role    string          `json:"role"`
					Content json.RawMessage `json:"content"`
				} `json:"messages"`
				Prompt json.RawMessage `json:"prompt"`
			}
			if err := json.Unmarshal(r.Request, &req); err != nil {
				return nil, fmt.Errorf("transcript record %s/%s seq %d: %w", r.Role, r.Node, r.Seq, err)
			}
			for _, m := range req.Messages {
				s.Messages = append(s.Messages, Message{Role: m.Role, Content: ContentText(m.Content)})
			}
			s.Prompt = ContentText(req.Prompt)
		}
		out = append(out, s)
	}
	return out, nil
}

// ContentText is a chat message's content as text: a JSON string, or the
// text parts of a content array joined (what readers of a transcript show).
func ContentText(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(raw, &parts) == nil {
		var b strings.Builder
		for _, p := range parts {
			b.WriteString(p.Text)
		}
		return b.String()
	}
	return string(raw)
}

// WriteSent prints requests for a person: a header per request, then each
// message under its role, verbatim.
func WriteSent(w io.Writer, sent []Sent) error {
	for i, s := range sent {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		fmt.Fprintf(w, "##### %s %s (model %s, exchange %d, attempt %d, HTTP %d)\n", s.Role, s.Call, s.Model, s.Seq, s.Attempt, s.Status)
		if s.Prompt != "" {
			fmt.Fprintf(w, "=== prompt\n%s\n", s.Prompt)
		}
		for _, m := range s.Messages {
			if _, err := fmt.Fprintf(w, "=== %s\n%s\n", m.Role, m.Content); err != nil {
				return err
			}
		}
	}
	return nil
}
