package harness

import (
	"context"
	"errors"
)

// llmAgent builds the LLM coder and reviewer.
func llmAgent(_ context.Context, _ AgentEnv) (*Agent, error) {
	return nil, errors.New("the LLM coder is not wired into the harness yet; use --set search.coder=baseline")
}
