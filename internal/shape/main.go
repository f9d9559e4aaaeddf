// Command shape prints the shape of Go packages, measured on their non-test
// files: lines per file, lines per function (from the func line to its
// closing brace) as median, p90 and maximum, the files over 250 lines and
// functions over 50, and the ratio of test lines to code lines. The
// structure issue's targets are stated in these terms.
//
//	go run ./internal/shape ./proc ./proc/relay ./proc/inject ./proc/internal/sys
package main

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

const (
	fileLimit = 250
	funcLimit = 50
)

// measure is the shape of one package directory.
type measure struct {
	dir                string
	files, code, test  int
	funcs              []int
	bigFiles, bigFuncs []string
}

func main() {
	flag.Parse()
	var all measure
	all.dir = "all"
	fmt.Printf("%-22s %5s %6s %6s %5s %6s %4s %4s %4s %6s %6s\n",
		"package", "files", "code", "test", "t/c", "funcs", "med", "p90", "max", ">250", ">50")
	for _, dir := range flag.Args() {
		m, err := measureDir(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "shape:", err)
			os.Exit(1)
		}
		m.print()
		all.add(m)
	}
	if flag.NArg() > 1 {
		all.print()
	}
	for _, f := range all.bigFiles {
		fmt.Println("file over", fileLimit, "lines:", f)
	}
	for _, f := range all.bigFuncs {
		fmt.Println("function over", funcLimit, "lines:", f)
	}
}

func (m *measure) add(o measure) {
	m.files += o.files
	m.code += o.code
	m.test += o.test
	m.funcs = append(m.funcs, o.funcs...)
	m.bigFiles = append(m.bigFiles, o.bigFiles...)
	m.bigFuncs = append(m.bigFuncs, o.bigFuncs...)
}

func (m measure) print() {
	f := slices.Clone(m.funcs)
	slices.Sort(f)
	ratio := 0.0
	if m.code > 0 {
		ratio = float64(m.test) / float64(m.code)
	}
	fmt.Printf("%-22s %5d %6d %6d %5.2f %6d %4d %4d %4d %6d %6d\n", m.dir, m.files, m.code, m.test, ratio,
		len(f), pct(f, 50), pct(f, 90), pct(f, 100), len(m.bigFiles), len(m.bigFuncs))
}

// pct is the p-th percentile of sorted values (nearest rank).
func pct(sorted []int, p int) int {
	if len(sorted) == 0 {
		return 0
	}
	i := (p*len(sorted)+99)/100 - 1
	return sorted[max(i, 0)]
}

func measureDir(dir string) (measure, error) {
	m := measure{dir: dir}
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return m, err
	}
	fset := token.NewFileSet()
	for _, name := range names {
		b, err := os.ReadFile(name)
		if err != nil {
			return m, err
		}
		lines := strings.Count(string(b), "\n")
		if strings.HasSuffix(name, "_test.go") {
			m.test += lines
			continue
		}
		m.files++
		m.code += lines
		if lines > fileLimit {
			m.bigFiles = append(m.bigFiles, fmt.Sprintf("%s (%d)", name, lines))
		}
		f, err := parser.ParseFile(fset, name, b, 0)
		if err != nil {
			return m, err
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			n := fset.Position(fn.End()).Line - fset.Position(fn.Pos()).Line + 1
			m.funcs = append(m.funcs, n)
			if n > funcLimit {
				m.bigFuncs = append(m.bigFuncs, fmt.Sprintf("%s %s (%d)", name, fn.Name.Name, n))
			}
		}
	}
	return m, nil
}
