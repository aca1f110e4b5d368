package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/search/coder/llm"
)

var llmCommand = group("llm", "check the configured language models (llm.code, llm.feedback)", &cli.Command{
	Name:  "check",
	Usage: "send one tiny request per role and report latency and whether tool calls work",
	Description: `For llm.code and llm.feedback: one plain chat message (latency, reply), one
forced tool call (the reviewer's submit_review needs it; without it the
reviewer asks for JSON in the reply instead), and for roles with
steerable_reasoning one raw completion through the family's chat template.
Keys are read from the variables the roles name (api_key_env). Exits 1 when
a role cannot be used.

Examples:
  OPENAI_API_KEY=... mlbench llm check
  mlbench llm check --set llm.code.base_url=http://gpu-node:8000/v1 --set llm.code.api_key_env=`,
	Flags: append(globalFlags(),
		&cli.DurationFlag{Name: "timeout", Value: 2 * time.Minute, Usage: "give up on the whole check after `D`"},
		&cli.StringFlag{Name: "transcript", Usage: "append the exchanges to `FILE` (JSONL, keys scrubbed)"},
	),
	Action: withConfig(nil, llmCheck),
})

func llmCheck(c *cli.Context, cfg *configs.Config) error {
	if cfg.LLM.Replay != "" {
		fmt.Fprintf(c.App.ErrWriter, "note: llm.replay (%s) is ignored; the check talks to the endpoints\n", cfg.LLM.Replay)
		cfg.LLM.Replay = ""
	}
	ctx, cancel := context.WithTimeout(c.Context, c.Duration("timeout"))
	defer cancel()
	results, err := llm.Check(ctx, cfg.LLM, llm.Options{Transcript: c.String("transcript")})
	if err != nil {
		return fmt.Errorf("llm check: %w", err)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ROLE\tMODEL\tENDPOINT\tLATENCY\tREPLY\tTOOL CALLS\tCOMPLETIONS")
	var notes []string
	failed := 0
	for _, r := range results {
		latency, reply, tools, comp := "-", "-", "-", "-"
		if r.Err != nil {
			reply = "FAILED"
			notes = append(notes, fmt.Sprintf("%s: %v", r.Role, r.Err))
		} else {
			latency = "<1ms"
			if r.Latency >= time.Millisecond {
				latency = r.Latency.Round(time.Millisecond).String()
			}
			reply = fmt.Sprintf("%q", r.Reply)
			tools, _, _ = strings.Cut(r.Tools, " (")
			if tools != r.Tools {
				notes = append(notes, fmt.Sprintf("%s tool calls: %s", r.Role, r.Tools))
			}
			if r.Completions != "" {
				comp, _, _ = strings.Cut(r.Completions, " (")
				if comp != r.Completions {
					notes = append(notes, fmt.Sprintf("%s completions: %s", r.Role, r.Completions))
				}
			}
		}
		if !r.OK() {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Role, r.Model, r.BaseURL, latency, reply, tools, comp)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		fmt.Fprintln(c.App.Writer, "  "+n)
	}
	if failed > 0 {
		return cli.Exit(fmt.Sprintf("llm check: %d of %d role(s) cannot be used", failed, len(results)), 1)
	}
	return nil
}
