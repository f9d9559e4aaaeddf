package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dinit-dev/dinit/proc"
)

// command is what the arguments ask for.
type command struct {
	help, version bool
	query         string   // a request to a running dinit: "status", "status json", "check"
	main          []string // PROGRAM and ARGS; nil: services only
}

// argError is an argument we refuse (exit 1).
type argError string

func (e argError) Error() string { return string(e) }

// parseArgs reads `dinit [--help | --version | [--] PROGRAM [ARGS...]]`.
// The first argument that is not an option starts the main program; `--`
// ends the options. `status` and `check` are dinit's own subcommands.
func parseArgs(args []string) (command, error) {
	if len(args) == 0 {
		return command{}, nil
	}
	switch a := args[0]; a {
	case "--help", "-help", "-h":
		return command{help: true}, nil
	case "--version", "-version":
		return command{version: true}, nil
	case "--":
		if len(args) == 1 {
			return command{}, argError("no program after --")
		}
		return command{main: args[1:]}, nil
	case "status", "check":
		return parseQuery(args)
	default:
		if strings.HasPrefix(a, "-") {
			return command{}, argError("unknown option " + strconv.Quote(a) + " (see dinit --help)")
		}
		return command{main: args}, nil
	}
}

// parseQuery reads `dinit status [--json]` and `dinit check`.
func parseQuery(args []string) (command, error) {
	switch {
	case len(args) == 1:
		return command{query: args[0]}, nil
	case args[0] == "status" && len(args) == 2 && args[1] == "--json":
		return command{query: "status json"}, nil
	}
	return command{}, argError("unexpected argument " + strconv.Quote(args[len(args)-1]) + " for dinit " + args[0] +
		" (usage: dinit status [--json], dinit check; a program named " + args[0] + " runs with dinit -- " + args[0] + ")")
}

// mainProgram resolves argv into the main program.
func mainProgram(argv []string, getenv func(string) string) (*proc.Program, error) {
	path, err := lookPath(argv[0], getenv("PATH"))
	if err != nil {
		return nil, err
	}
	return &proc.Program{Path: path, Args: argv, Name: filepath.Base(argv[0])}, nil
}

// serviceDir is DINIT_DIR in the main-program mode: the default directory
// only when it exists (no services, and no warning, otherwise); a
// directory the user named stays required.
func serviceDir(getenv func(string) string, exists func(string) bool) string {
	if v := getenv("DINIT_DIR"); v != "" {
		return v
	}
	if exists(defaultDir) {
		return defaultDir
	}
	return ""
}

func dirExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
