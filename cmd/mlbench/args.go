package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// urfave/cli stops parsing flags at the first positional argument; the
// commands that take arguments apply the flags written after them
// themselves, so that "mlbench report RUN --tasks" works.

// positionalArgs returns the command's positional arguments, applying its
// flags written after them. A lone "--" ends flags. A bad or unknown flag
// is a usage error (exit 2) that names the command.
func positionalArgs(c *cli.Context) ([]string, error) { return scanArgs(c, false) }

// scriptArgs is positionalArgs for a command that runs a script: flags the
// command does not know are the script's own and stay among the arguments
// ("mlbench sandbox run FILE.py --data DIR --epochs 3").
func scriptArgs(c *cli.Context) ([]string, error) { return scanArgs(c, true) }

// commandArgs is positionalArgs for a command that takes least to most
// arguments (most < 0: no limit); another number is a usage error that
// shows the command with usage, what it takes.
func commandArgs(c *cli.Context, least, most int, usage string) ([]string, error) {
	args, err := positionalArgs(c)
	if err != nil {
		return nil, err
	}
	if len(args) < least || (most >= 0 && len(args) > most) {
		return nil, usageLine(c, usage)
	}
	return args, nil
}

// usageLine is the usage error "usage: mlbench trace prompt RUN ITEM NODE"
// of the running command; usage says what follows the command.
func usageLine(c *cli.Context, usage string) error {
	return cli.Exit("usage: "+c.Command.HelpName+" "+usage, 2)
}

func scanArgs(c *cli.Context, keepUnknown bool) ([]string, error) {
	raw := c.Args().Slice()
	var pos []string
	for i := 0; i < len(raw); i++ {
		arg := raw[i]
		if arg == "--" {
			return append(pos, raw[i+1:]...), nil
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(arg, "-"), "=")
		fl := findFlag(c.Command.Flags, name)
		if len(arg) < 2 || arg[0] != '-' || (fl == nil && keepUnknown) {
			pos = append(pos, arg)
			continue
		}
		if fl == nil {
			return nil, usageError(c, "unknown flag %s", arg)
		}
		if _, isBool := fl.(*cli.BoolFlag); isBool {
			if !hasValue {
				value = "true"
			}
		} else if !hasValue {
			if i+1 >= len(raw) {
				return nil, usageError(c, "flag %s needs a value", arg)
			}
			i++
			value = raw[i]
		}
		if err := c.Set(fl.Names()[0], value); err != nil {
			return nil, usageError(c, "flag %s: %v", arg, err)
		}
	}
	return pos, nil
}

func findFlag(flags []cli.Flag, name string) cli.Flag {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			return f
		}
	}
	return nil
}

// usageError is a user's mistake on the command line (exit 2), prefixed
// with the command as typed ("trace prompt: ...").
func usageError(c *cli.Context, format string, a ...any) error {
	return cli.Exit(strings.TrimPrefix(c.Command.HelpName, c.App.Name+" ")+": "+fmt.Sprintf(format, a...), 2)
}
