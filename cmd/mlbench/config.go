package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mlbench/mlbench/configs"
	"github.com/mlbench/mlbench/results"
)

// globalFlags are accepted before any subcommand and by every subcommand.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML config `FILE` layered over the embedded defaults", EnvVars: []string{"MLBENCH_CONFIG"}},
		&cli.StringSliceFlag{Name: "set", Usage: "override one config key, e.g. --set search.uct_c=0.8 (repeatable)"},
	}
}

// dataDirFlag is --data-dir (data.dir) of the commands that read prepared
// data; dataDirFlagKeys maps it to its key.
var (
	dataDirFlag     = &cli.StringFlag{Name: "data-dir", Usage: "prepared MLE-Bench data `DIR` (data.dir)"}
	dataDirFlagKeys = map[string]string{"data-dir": "data.dir"}
)

// runDirArg loads the config and resolves the RUN argument ref against
// its results.dir (a usage error, exit 2, when ref names no run).
func runDirArg(c *cli.Context, ref string) (string, error) {
	cfg, err := loadConfig(c, nil)
	if err != nil {
		return "", err
	}
	dir, err := results.ResolveRunDir(ref, cfg.Results.Dir)
	if err != nil {
		return "", cli.Exit(err.Error(), 2)
	}
	return dir, nil
}

// loadConfig builds the effective config for a command. flagKeys maps the
// command's own flags to config key paths; those set on the command line
// win over everything else.
func loadConfig(c *cli.Context, flagKeys map[string]string) (*configs.Config, error) {
	opts := configs.Options{Flag: map[string]string{}}
	for _, ctx := range c.Lineage() {
		if opts.File == "" && ctx.IsSet("config") {
			opts.File = ctx.String("config")
		}
	}
	// --set may be given before and after the subcommand; outer first.
	lineage := c.Lineage()
	for i := len(lineage) - 1; i >= 0; i-- {
		if lineage[i].Command == nil && i != len(lineage)-1 {
			continue
		}
		opts.Sets = append(opts.Sets, lineage[i].StringSlice("set")...)
	}
	for flag, key := range flagKeys {
		if c.IsSet(flag) {
			opts.Flag[key] = flagValue(c, flag)
		}
	}
	cfg, err := configs.Load(opts)
	if err != nil {
		return nil, cli.Exit(fmt.Sprintf("config: %v", err), 2)
	}
	return cfg, nil
}

// withConfig makes an action that starts from the effective config:
// loadConfig with flagKeys, then action.
func withConfig(flagKeys map[string]string, action func(*cli.Context, *configs.Config) error) cli.ActionFunc {
	return func(c *cli.Context) error {
		cfg, err := loadConfig(c, flagKeys)
		if err != nil {
			return err
		}
		return action(c, cfg)
	}
}

// flagValue renders a flag's value as text the config setter parses.
func flagValue(c *cli.Context, name string) string {
	switch v := c.Value(name).(type) {
	case cli.StringSlice:
		return fmt.Sprint(v.Value())
	case *cli.StringSlice:
		return fmt.Sprint(v.Value())
	default:
		return fmt.Sprint(v)
	}
}

var configCommand = group("config", "show the effective configuration", &cli.Command{
	Name:  "dump",
	Usage: "print the effective config (defaults < --config < --set < MLBENCH_* env) as YAML",
	Flags: globalFlags(),
	Action: withConfig(nil, func(c *cli.Context, cfg *configs.Config) error {
		b, err := cfg.YAML()
		if err != nil {
			return err
		}
		_, err = c.App.Writer.Write(b)
		return err
	}),
}, &cli.Command{
	Name:  "keys",
	Usage: "list every config key with its environment variable",
	Action: func(c *cli.Context) error {
		for _, k := range configs.Keys() {
			fmt.Fprintf(c.App.Writer, "%-40s %s\n", k, configs.EnvName(k))
		}
		return nil
	},
}, &cli.Command{
	Name:  "defaults",
	Usage: "print the embedded, documented default config",
	Action: func(c *cli.Context) error {
		_, err := c.App.Writer.Write(configs.DefaultYAML())
		return err
	},
})
