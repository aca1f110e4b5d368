package main

import (
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/harness"
	"github.com/mlbench/mlbench/results"
	"github.com/mlbench/mlbench/search/coder/llm"
)

var traceCommand = group("trace", "look at a run's node traces", &cli.Command{
	Name:      "tree",
	Usage:     "show the search tree of one work item (terminal, or an interactive HTML page)",
	ArgsUsage: "RUN",
	Description: `Prints the item's tree: one line per node with its stage, validation metric
(or BUG with the exit code or timeout), test result when graded ('mlbench
collect --grade-nodes') and a star on the node whose submission was graded.

--html FILE writes a self-contained page (open it from disk, no network):
click a node to see its plan, code, output and review.

Examples:
  mlbench trace tree runs/20260101-120000-abcdef --item 3
  mlbench trace tree 20260101-120000-abcdef --item 3 --html tree.html`,
	Flags: append(globalFlags(),
		&cli.IntFlag{Name: "item", Aliases: []string{"i"}, Usage: "work item `N` (see mlbench status)"},
		&cli.StringFlag{Name: "html", Usage: "write an interactive page to `FILE` instead of printing"},
	),
	Action: traceTreeAction,
}, &cli.Command{
	Name:      "prompt",
	Usage:     "print the exact messages sent to the models for one node",
	ArgsUsage: "RUN ITEM NODE",
	Description: `Reads the item's LLM transcript (items/ITEM/llm-transcript.jsonl) and prints,
for every request made for NODE (the coder's, its retries, the reviewer's),
the messages exactly as sent: what the model saw.

Example:
  mlbench trace prompt 20260101-120000-abcdef 3 7`,
	Flags:  globalFlags(),
	Action: tracePromptAction,
})

func tracePromptAction(c *cli.Context) error {
	args, err := commandArgs(c, 3, 3, "RUN ITEM NODE")
	if err != nil {
		return err
	}
	item, err := strconv.Atoi(args[1])
	if err != nil || item < 0 {
		return cli.Exit(fmt.Sprintf("trace prompt: ITEM %q is not a work item number (see mlbench status)", args[1]), 2)
	}
	dir, err := runDirArg(c, args[0])
	if err != nil {
		return err
	}
	path := filepath.Join(results.ItemDir(dir, item), harness.TranscriptFile)
	records, err := llm.ReadTranscript(path)
	if err != nil {
		return cli.Exit(fmt.Sprintf("trace prompt: %v (items of the offline baseline coder have no transcript)", err), 2)
	}
	sent, err := llm.SentFor(records, args[2])
	if err != nil {
		return cli.Exit(fmt.Sprintf("trace prompt: %v", err), 2)
	}
	if len(sent) == 0 {
		return cli.Exit(fmt.Sprintf("trace prompt: no requests for node %q in %s", args[2], path), 2)
	}
	return llm.WriteSent(c.App.Writer, sent)
}

func traceTreeAction(c *cli.Context) error {
	const usage = "RUN --item N [--html FILE]"
	args, err := commandArgs(c, 1, 1, usage)
	if err != nil {
		return err
	}
	if !c.IsSet("item") {
		return usageLine(c, usage)
	}
	dir, err := runDirArg(c, args[0])
	if err != nil {
		return err
	}
	reader := results.NewReader(nil)
	tree, err := results.LoadTree(c.Context, dir, c.Int("item"), reader)
	if err != nil {
		return cli.Exit(fmt.Sprintf("trace tree: %v", err), 2)
	}
	if path := c.String("html"); path != "" {
		if err := tree.WriteHTMLFile(path); err != nil {
			return fmt.Errorf("trace tree: %w", err)
		}
		fmt.Fprintf(c.App.Writer, "wrote %s (%d nodes)\n", path, tree.Nodes)
	} else if err := tree.WriteText(c.App.Writer); err != nil {
		return err
	}
	if s := reader.Skipped(); len(s) > 0 {
		printWarnings(c.App.ErrWriter, []string{fmt.Sprintf("skipped %d unreadable trace part(s) (corrupt or partial); first: %s: %v",
			len(s), s[0].Path, s[0].Err)})
	}
	return nil
}
