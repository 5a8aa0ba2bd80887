package docgen

import (
	"errors"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// LibraryPackages are the directories, relative to the repository root, of
// the construct packages whose Props the README documents, in README order.
var LibraryPackages = []string{
	"constructs/rdsexport",
	"constructs/s3copy",
	"constructs/destination",
	"constructs/catalog",
	"constructs/monitoring",
	"constructs/demo",
}

// Prop is one exported field of a Props struct.
type Prop struct {
	// Name of the field.
	Name string
	// Type of the field as written in the source, e.g. "awss3.IBucket".
	Type string
	// Required is true when the field's comment says "Required.".
	Required bool
	// Default is the text after "Default:" in the field's comment, without
	// its final period; empty when Required.
	Default string
	// Description is the first sentence of the field's comment.
	Description string
}

// Construct is the Props struct of one library package.
type Construct struct {
	// Package is the package name, e.g. "rdsexport".
	Package string
	// Construct is the type the package's New returns, e.g. "RdsExport";
	// empty when the package has no such constructor.
	Construct string
	// Props are the struct's exported fields in source order.
	Props []Prop
}

// Undocumented is a prop whose doc comment states neither a default nor
// that the prop is required.
type Undocumented struct {
	// Package, Field and Pos locate the field, e.g. "rdsexport",
	// "Props.S3Prefix", "constructs/rdsexport/props.go:12".
	Package, Field, Pos string
	// Problem says what is wrong with the comment.
	Problem string
}

// UndocumentedError lists every prop the generator cannot document.
type UndocumentedError struct {
	// Props are the offending fields, in package and source order.
	Props []Undocumented
}

// Error lists the props, one a line.
func (e *UndocumentedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "docgen: %d prop(s) need a doc comment saying \"Default: …\" or \"Required.\":", len(e.Props))
	for _, u := range e.Props {
		fmt.Fprintf(&b, "\n  %s.%s (%s): %s", u.Package, u.Field, u.Pos, u.Problem)
	}
	return b.String()
}

var (
	defaultRE  = regexp.MustCompile(`\bDefault:`)
	requiredRE = regexp.MustCompile(`(^|\s)Required\.`)
	spaceRE    = regexp.MustCompile(`\s+`)
)

// LoadProps reads the Props of every package of LibraryPackages below root
// (the repository root). Every undocumented prop of every package is
// reported in one *UndocumentedError.
func LoadProps(root string) ([]Construct, error) {
	var out []Construct
	undocumented := &UndocumentedError{}
	for _, dir := range LibraryPackages {
		c, err := ParseDir(filepath.Join(root, filepath.FromSlash(dir)), dir)
		var u *UndocumentedError
		if errors.As(err, &u) {
			undocumented.Props = append(undocumented.Props, u.Props...)
			continue
		}
		if err != nil {
			return nil, err
		}
		if c == nil {
			return nil, fmt.Errorf("docgen: %s has no exported Props struct", dir)
		}
		out = append(out, *c)
	}
	if len(undocumented.Props) > 0 {
		return nil, undocumented
	}
	return out, nil
}

// ParseDir parses the non-test Go files of the package in dir and returns
// its Props; nil when the package has no exported struct type named Props.
// rel names dir in positions of errors (e.g. "constructs/s3copy").
func ParseDir(dir, rel string) (*Construct, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("docgen: %w", err)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("docgen: %w", err)
		}
		f, err := parser.ParseFile(fset, path.Join(rel, name), src, parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("docgen: %w", err)
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("docgen: no Go files in %s", dir)
	}
	return FromFiles(fset, files)
}

// ParseSource parses one Go source file given as a string, as ParseDir does
// a directory; filename is used in positions.
func ParseSource(filename, src string) (*Construct, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("docgen: %w", err)
	}
	return FromFiles(fset, []*ast.File{f})
}

// FromFiles returns the Props of the package made of files (parsed with
// comments); nil when it has no exported struct type named Props.
func FromFiles(fset *token.FileSet, files []*ast.File) (*Construct, error) {
	pkgName := files[0].Name.Name
	// go/doc drops unexported fields and associates New with the type it
	// returns.
	p, err := doc.NewFromFiles(fset, files, pkgName)
	if err != nil {
		return nil, fmt.Errorf("docgen: package %s: %w", pkgName, err)
	}
	c := &Construct{Package: p.Name}
	var st *ast.StructType
	for _, t := range p.Types {
		for _, f := range t.Funcs {
			if f.Name == "New" {
				c.Construct = t.Name
			}
		}
		if t.Name != "Props" {
			continue
		}
		for _, spec := range t.Decl.Specs {
			if ts, ok := spec.(*ast.TypeSpec); ok && ts.Name.Name == "Props" {
				st, _ = ts.Type.(*ast.StructType)
			}
		}
	}
	if st == nil {
		return nil, nil
	}
	consts := literalConsts(files)
	undocumented := &UndocumentedError{}
	for _, field := range st.Fields.List {
		text := ""
		if field.Doc != nil {
			text = field.Doc.Text()
		} else if field.Comment != nil {
			text = field.Comment.Text()
		}
		names := field.Names
		if len(names) == 0 { // embedded: named by its type
			names = []*ast.Ident{ast.NewIdent(embeddedName(field.Type))}
		}
		for _, name := range names {
			if !name.IsExported() {
				continue
			}
			prop, problem := parseComment(text)
			if problem != "" {
				undocumented.Props = append(undocumented.Props, Undocumented{
					Package: c.Package,
					Field:   "Props." + name.Name,
					Pos:     position(fset, name.Pos()),
					Problem: problem,
				})
				continue
			}
			if v, ok := consts[prop.Default]; ok {
				prop.Default += " (" + v + ")"
			}
			prop.Name = name.Name
			prop.Type = types.ExprString(field.Type)
			c.Props = append(c.Props, prop)
		}
	}
	if len(undocumented.Props) > 0 {
		return nil, undocumented
	}
	return c, nil
}

// literalConsts maps the package's exported constants declared with a
// literal value to that literal, so that a default naming one (e.g.
// "Default: DefaultCopyRoleNamePrefix.") shows its value.
func literalConsts(files []*ast.File) map[string]string {
	out := map[string]string{}
	for _, f := range files {
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i >= len(vs.Values) || !name.IsExported() {
						continue
					}
					if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
						out[name.Name] = lit.Value
					}
				}
			}
		}
	}
	return out
}

func embeddedName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return embeddedName(e.X)
	case *ast.SelectorExpr:
		return e.Sel.Name
	case *ast.Ident:
		return e.Name
	}
	return types.ExprString(e)
}

func position(fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	return fmt.Sprintf("%s:%d", filepath.ToSlash(p.Filename), p.Line)
}

// parseComment reads a field's doc comment: the default or "required",
// and the first sentence. problem is non-empty when the comment cannot be
// documented.
func parseComment(text string) (p Prop, problem string) {
	text = strings.TrimSpace(spaceRE.ReplaceAllString(text, " "))
	if text == "" {
		return p, `no doc comment`
	}
	loc := defaultRE.FindStringIndex(text)
	required := requiredRE.MatchString(text)
	switch {
	case loc == nil && !required:
		return p, `comment has neither "Default: …" nor "Required."`
	case loc != nil && required:
		return p, `comment has both "Default: …" and "Required."`
	case loc != nil:
		p.Default = strings.TrimSuffix(strings.TrimSpace(text[loc[1]:]), ".")
		if p.Default == "" {
			return p, `"Default:" is not followed by a value`
		}
		p.Description = firstSentence(text[:loc[0]])
	default:
		p.Required = true
		p.Description = firstSentence(requiredRE.ReplaceAllString(text, "$1"))
	}
	return p, ""
}

// abbreviations end with a period that does not end a sentence.
var abbreviations = []string{"e.g.", "i.e.", "cf.", "vs."}

// firstSentence is go/doc's synopsis of text, except that abbreviations do
// not end the sentence.
func firstSentence(text string) string {
	const nbsp = "\u00a0"
	for _, a := range abbreviations {
		text = strings.ReplaceAll(text, a+" ", a+nbsp)
	}
	var p doc.Package
	s := p.Synopsis(text)
	return strings.TrimSpace(strings.ReplaceAll(s, nbsp, " "))
}

// PropsMarkdown renders one table per construct:
// | prop | type | default | description |.
func PropsMarkdown(cs []Construct) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteString("\n")
		}
		title := "`" + c.Package + ".Props`"
		if c.Construct != "" {
			title += " — `" + c.Package + ".New` → `" + c.Construct + "`"
		}
		fmt.Fprintf(&b, "#### %s\n\n", title)
		b.WriteString("| prop | type | default | description |\n|---|---|---|---|\n")
		for _, p := range c.Props {
			def := "required"
			if !p.Required {
				def = escapeMarkdown(p.Default)
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s |\n", p.Name, p.Type, def, escapeMarkdown(p.Description))
		}
	}
	return b.String()
}

// escapeMarkdown makes comment text safe in a table cell: no column breaks,
// no HTML tags, no emphasis.
func escapeMarkdown(s string) string {
	var b strings.Builder
	rs := []rune(s)
	for i, r := range rs {
		switch r {
		case '|', '*', '\\', '`':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '_':
			// Inside a word an underscore never emphasises; at a word's edge
			// it may.
			inWord := i > 0 && i < len(rs)-1 && isWordRune(rs[i-1]) && isWordRune(rs[i+1])
			if !inWord {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isWordRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127
}
