package docgen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strings"
)

// The Example function the README's library block shows as a CDK app's
// main.go. The file holds that function only, so that its imports are
// exactly the ones the function uses.
const (
	LibraryExampleFile = "constructs/rdsexport/example_app_test.go"
	LibraryExampleFunc = "Example_app"
)

// LibrarySection is the content of the library block: the Example function
// LibraryExampleFunc of LibraryExampleFile (below root, the repository
// root) as a main.go, in a ```go fence.
func LibrarySection(root string) (string, error) {
	path := filepath.Join(root, filepath.FromSlash(LibraryExampleFile))
	src, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("docgen: %w", err)
	}
	main, err := MainFromExample(src, LibraryExampleFunc)
	if err != nil {
		return "", fmt.Errorf("docgen: %s: %w", LibraryExampleFile, err)
	}
	return section("```go\n" + main + "```\n"), nil
}

// MainFromExample renders the Example function name of the Go file src as
// package main: the file's imports and a func main with the example's body,
// up to its output comment. The file must declare nothing but that
// function, so that every import is used and the body refers to nothing
// else of its package.
func MainFromExample(src []byte, name string) (string, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return "", err
	}
	var imports []byte
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			if d.Tok != token.IMPORT {
				return "", fmt.Errorf("declares %s at line %d: it must declare %s only", d.Tok, fset.Position(d.Pos()).Line, name)
			}
			imports = append(imports, src[fset.Position(d.Pos()).Offset:fset.Position(d.End()).Offset]...)
			imports = append(imports, '\n')
		case *ast.FuncDecl:
			if d.Name.Name != name || d.Recv != nil {
				return "", fmt.Errorf("declares func %s: it must declare %s only", d.Name.Name, name)
			}
			fn = d
		}
	}
	if fn == nil {
		return "", fmt.Errorf("no func %s", name)
	}
	start := fset.Position(fn.Body.Lbrace).Offset + 1
	end := fset.Position(fn.Body.Rbrace).Offset
	for _, c := range f.Comments {
		off := fset.Position(c.Pos()).Offset
		if off > start && off < end && isOutputComment(c.Text()) {
			end = off
			break
		}
	}
	var b bytes.Buffer
	b.WriteString("package main\n\n")
	b.Write(imports)
	b.WriteString("\nfunc main() {")
	b.WriteString(strings.TrimRight(string(src[start:end]), " \t\n") + "\n")
	b.WriteString("}\n")
	out, err := format.Source(b.Bytes())
	if err != nil {
		return "", fmt.Errorf("main.go does not format: %w", err)
	}
	return string(out), nil
}

// isOutputComment reports whether a comment group is an Example's output
// comment, as go test reads it.
func isOutputComment(text string) bool {
	first, _, _ := strings.Cut(text, "\n")
	first = strings.ToLower(strings.TrimSpace(first))
	return strings.HasPrefix(first, "output:") || strings.HasPrefix(first, "unordered output:")
}
