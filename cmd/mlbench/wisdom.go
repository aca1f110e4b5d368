package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/memory"
)

// wisdomFlagKeys map the wisdom flags onto config keys.
var wisdomFlagKeys = map[string]string{"dir": "memory.wisdom.dir"}

func wisdomFlags(extra ...cli.Flag) []cli.Flag {
	return append(append(globalFlags(),
		&cli.StringFlag{Name: "dir", Usage: "wisdom store `DIR` (memory.wisdom.dir)"}), extra...)
}

var wisdomCommand = &cli.Command{
	Name:  "wisdom",
	Usage: "inspect and manage the cross-task wisdom store (memory.wisdom.dir)",
	Description: `The wisdom store holds one JSON file per finished work item: what worked on a
task (best design, metric, medal), what failed, and how to find it again
(description keywords, metric, column types). New tasks retrieve the most
similar entries (BM25) for their first drafts. Files are immutable and named
after their content, so many jobs can write to the store at once.

Examples:
  mlbench wisdom list
  mlbench wisdom search --metric rmse --columns numeric,categorical "predict house sale prices"
  mlbench wisdom prune --older-than 90d --dry-run
  mlbench wisdom export > wisdom.jsonl && mlbench wisdom import --dir /shared/wisdom wisdom.jsonl`,
	Subcommands: []*cli.Command{
		{
			Name:   "list",
			Usage:  "list the entries, oldest first",
			Flags:  wisdomFlags(&cli.StringFlag{Name: "task", Usage: "only entries of task `ID`"}),
			Action: wisdomList,
		},
		{
			Name:      "show",
			Usage:     "print one entry as JSON",
			ArgsUsage: "ID (or a unique prefix of it)",
			Flags:     wisdomFlags(),
			Action:    wisdomShow,
		},
		{
			Name:      "search",
			Usage:     "rank the entries for a task description, as a new task would (BM25)",
			ArgsUsage: `[flags] "DESCRIPTION"`,
			Flags: wisdomFlags(
				&cli.StringFlag{Name: "task", Usage: "the new task's `ID`: its own entries are excluded unless --include-same-task"},
				&cli.StringFlag{Name: "metric", Usage: "the new task's metric, e.g. rmse"},
				&cli.StringSliceFlag{Name: "columns", Usage: "the new task's column types, e.g. numeric,categorical,text"},
				&cli.StringFlag{Name: "modality", Usage: "the new task's data modality: tabular, image, text, audio, ..."},
				&cli.IntFlag{Name: "top-k", Aliases: []string{"k"}, Usage: "entries to return (memory.wisdom.top_k)"},
				&cli.BoolFlag{Name: "include-same-task", Usage: "also return entries of --task (memory.wisdom.include_same_task)"},
				&cli.BoolFlag{Name: "prompt", Usage: "print the text the first drafts would receive instead of a table"},
			),
			Action: wisdomSearch,
		},
		{
			Name:  "prune",
			Usage: "remove entries created before a cutoff (and stale temporary files)",
			Flags: wisdomFlags(
				&cli.StringFlag{Name: "older-than", Required: true, Usage: "age `D` of entries to remove: 90d, 2w, 36h, 30m"},
				&cli.BoolFlag{Name: "dry-run", Aliases: []string{"n"}, Usage: "only list what would be removed"},
			),
			Action: wisdomPrune,
		},
		{
			Name:      "import",
			Usage:     "add entries from files written by export (JSON lines), JSON arrays or single entry files",
			ArgsUsage: "FILE... (- for standard input)",
			Flags:     wisdomFlags(),
			Action:    wisdomImport,
		},
		{
			Name:  "compact",
			Usage: "write the packed snapshot that makes cold loads fast (entry files stay the truth)",
			Description: `Writes <dir>/.pack/snapshot.bin: every entry and the search index in one
file. A worker that opens the store reads it instead of thousands of entry
files; entries written after it are read from their files, and removed
entry files are dropped, so an old snapshot is never wrong, only slower.
Run it after a large run or from cron; it is safe while runs write.`,
			Flags:  wisdomFlags(),
			Action: wisdomCompact,
		},
		{
			Name:   "export",
			Usage:  "write every entry to standard output as JSON lines, oldest first",
			Flags:  wisdomFlags(),
			Action: wisdomExport,
		},
	},
}

func wisdomCompact(c *cli.Context) error {
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	res, err := s.Compact()
	if err != nil {
		return fmt.Errorf("wisdom compact: %w", err)
	}
	warnWisdomSkipped(c, s.Report())
	fmt.Fprintf(c.App.Writer, "packed %d entries into %s (%d bytes)\n", res.Entries, res.Path, res.Bytes)
	return nil
}

// openWisdom opens the store of the effective config (or --dir).
func openWisdom(c *cli.Context) (*memory.Store, *configs.Config, error) {
	cfg, err := loadConfig(c, wisdomFlagKeys)
	if err != nil {
		return nil, nil, err
	}
	dir := configs.ExpandPath(cfg.Memory.Wisdom.Dir)
	if dir == "" {
		return nil, nil, cli.Exit("wisdom: no store directory: set memory.wisdom.dir or pass --dir", 2)
	}
	return memory.Open(dir), cfg, nil
}

// warnWisdomSkipped tells the user about unreadable files without failing.
func warnWisdomSkipped(c *cli.Context, r memory.LoadReport) {
	if w := r.Warning(); w != "" {
		fmt.Fprintln(c.App.ErrWriter, "mlbench: warning:", w)
	}
}

func wisdomList(c *cli.Context) error {
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	entries, report, err := s.Entries()
	if err != nil {
		return err
	}
	warnWisdomSkipped(c, report)
	w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tCREATED\tTASK\tMODALITY\tMETRIC\tBEST\tMEDAL\tRUN")
	n := 0
	for _, e := range entries {
		if t := c.String("task"); t != "" && e.TaskID != t {
			continue
		}
		n++
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID[:12], e.CreatedAt.UTC().Format("2006-01-02 15:04"),
			e.TaskID, wisdomCell(e.DataModality), wisdomMetric(e), wisdomBest(e), wisdomCell(e.Medal), wisdomCell(e.RunID))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "%d entries in %s\n", n, s.Dir())
	return nil
}

func wisdomShow(c *cli.Context) error {
	if c.NArg() != 1 {
		return cli.Exit("wisdom show: give exactly one entry ID (see 'mlbench wisdom list')", 2)
	}
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	e, err := s.Get(c.Args().First())
	if errors.Is(err, memory.ErrNotFound) {
		return cli.Exit(fmt.Sprintf("wisdom show: no entry %q in %s (see 'mlbench wisdom list')", c.Args().First(), s.Dir()), 1)
	}
	if err != nil {
		return err
	}
	enc := json.NewEncoder(c.App.Writer)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(e)
}

func wisdomSearch(c *cli.Context) error {
	// urfave/cli stops reading flags at the first argument: say so rather
	// than searching for "--metric".
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return cli.Exit(fmt.Sprintf(`wisdom search: %s comes after the text; put flags first, e.g. mlbench wisdom search --metric rmse "predict house prices"`, a), 2)
		}
	}
	if c.NArg() == 0 {
		return cli.Exit(`wisdom search: give the new task's description, e.g. mlbench wisdom search "predict house prices"`, 2)
	}
	s, cfg, err := openWisdom(c)
	if err != nil {
		return err
	}
	q := memory.Query{
		TaskID:          c.String("task"),
		IncludeSameTask: cfg.Memory.Wisdom.IncludeSameTask,
		Description:     strings.Join(c.Args().Slice(), " "),
		Metric:          c.String("metric"),
		DataModality:    c.String("modality"),
		K:               cfg.Memory.Wisdom.TopK,
	}
	for _, col := range c.StringSlice("columns") {
		q.ColumnTypes = append(q.ColumnTypes, strings.Split(col, ",")...)
	}
	if c.IsSet("top-k") {
		q.K = c.Int("top-k")
	}
	if c.IsSet("include-same-task") {
		q.IncludeSameTask = c.Bool("include-same-task")
	}
	hits, err := s.Search(q)
	if err != nil {
		return err
	}
	warnWisdomSkipped(c, s.Report())
	if c.Bool("prompt") {
		_, err := io.WriteString(c.App.Writer, memory.FormatWisdom(hits))
		return err
	}
	w := tabwriter.NewWriter(c.App.Writer, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RANK\tSCORE\tID\tTASK\tMETRIC\tBEST\tMEDAL\tDESIGN")
	for i, h := range hits {
		e := h.Entry
		fmt.Fprintf(w, "%d\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, h.Score, e.ID[:12], e.TaskID, wisdomMetric(e),
			wisdomBest(e), wisdomCell(e.Medal), wisdomCell(wisdomClip(e.BestDesign, 60)))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "%d of %d entries matched\n", len(hits), s.Report().Entries)
	return nil
}

func wisdomPrune(c *cli.Context) error {
	age, err := parseWisdomAge(c.String("older-than"))
	if err != nil {
		return cli.Exit(fmt.Sprintf("wisdom prune: --older-than: %v", err), 2)
	}
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	cutoff := time.Now().Add(-age)
	dry := c.Bool("dry-run")
	res, err := s.Prune(cutoff, dry)
	if err != nil {
		return err
	}
	verb := "removed"
	if dry {
		verb = "would remove"
		for _, e := range res.Entries {
			fmt.Fprintf(c.App.Writer, "%s\t%s\t%s\n", e.ID[:12], e.CreatedAt.UTC().Format("2006-01-02 15:04"), e.TaskID)
		}
		for _, name := range res.TempFiles {
			fmt.Fprintln(c.App.Writer, name)
		}
	}
	fmt.Fprintf(c.App.ErrWriter, "%s %d entries and %d temporary files created before %s from %s\n",
		verb, len(res.Entries), len(res.TempFiles), cutoff.UTC().Format(time.RFC3339), s.Dir())
	return nil
}

func wisdomImport(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.Exit("wisdom import: give one or more files (- for standard input)", 2)
	}
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	// Parse everything before writing anything: a bad file adds nothing.
	var all []memory.Entry
	for _, name := range c.Args().Slice() {
		entries, err := parseWisdomFile(c, name)
		if err != nil {
			return cli.Exit(fmt.Sprintf("wisdom import: %s: %v", name, err), 1)
		}
		all = append(all, entries...)
	}
	res, err := s.PutAll(all)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "imported %d new entries (%d already present) into %s\n", res.Added, res.Existing, s.Dir())
	return nil
}

func parseWisdomFile(c *cli.Context, name string) ([]memory.Entry, error) {
	if name == "-" {
		return memory.ParseEntries(c.App.Reader)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return memory.ParseEntries(f)
}

func wisdomExport(c *cli.Context) error {
	s, _, err := openWisdom(c)
	if err != nil {
		return err
	}
	n, err := s.Export(c.App.Writer)
	if err != nil {
		return err
	}
	warnWisdomSkipped(c, s.Report())
	fmt.Fprintf(c.App.ErrWriter, "exported %d entries from %s\n", n, s.Dir())
	return nil
}

// parseWisdomAge reads an age such as 90d, 2w, 36h or 1h30m.
func parseWisdomAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	var err error
	switch unit := strings.TrimLeft(s, "0123456789."); unit {
	case "d", "w":
		var n float64
		n, err = strconv.ParseFloat(strings.TrimSuffix(s, unit), 64)
		d = time.Duration(n * float64(24*time.Hour))
		if unit == "w" {
			d *= 7
		}
	default:
		d, err = time.ParseDuration(s)
	}
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive age; use e.g. 90d, 2w, 36h or 30m", s)
	}
	return d, nil
}

func wisdomMetric(e memory.Entry) string {
	if e.Metric == "" {
		return "-"
	}
	if e.LowerIsBetter {
		return e.Metric + " (lower)"
	}
	return e.Metric
}

func wisdomBest(e memory.Entry) string {
	if e.BestMetric == nil {
		return "-"
	}
	return strconv.FormatFloat(*e.BestMetric, 'g', 6, 64)
}

func wisdomCell(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// wisdomClip shortens s to one line of at most n runes.
func wisdomClip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-3]) + "..."
	}
	return s
}
