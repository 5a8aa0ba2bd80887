package docgen

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseSource_props(t *testing.T) {
	cases := []struct {
		name          string
		src           string
		wantConstruct string
		want          []Prop
	}{
		{
			name: "default, required, multi-line default and first sentence",
			src: `package widget

// Props configures a Widget.
type Props struct {
	// Bucket receives the widgets. Required.
	Bucket string
	// Count of widgets, e.g. 3. More text.
	// Default: 1 (one
	// widget).
	Count int
	// Tags on every widget. Default: none.
	Tags map[string]*string
}

// Widget is a widget.
type Widget struct{}

// New creates a Widget.
func New(p *Props) (*Widget, error) { return nil, nil }
`,
			wantConstruct: "Widget",
			want: []Prop{
				{Name: "Bucket", Type: "string", Required: true, Description: "Bucket receives the widgets."},
				{Name: "Count", Type: "int", Default: "1 (one widget)", Description: "Count of widgets, e.g. 3."},
				{Name: "Tags", Type: "map[string]*string", Default: "none", Description: "Tags on every widget."},
			},
		},
		{
			name: "unexported fields are left out; a default naming a constant shows its value",
			src: `package widget

// DefaultName names widgets.
const DefaultName = "w"

type Props struct {
	// Name of the widget. Default: DefaultName.
	Name string
	secret string
	// A, B are coordinates. Default: 0.
	A, B float64
}
`,
			want: []Prop{
				{Name: "Name", Type: "string", Default: `DefaultName ("w")`, Description: "Name of the widget."},
				{Name: "A", Type: "float64", Default: "0", Description: "A, B are coordinates."},
				{Name: "B", Type: "float64", Default: "0", Description: "A, B are coordinates."},
			},
		},
		{
			name: "a trailing line comment documents the field too",
			src: `package widget

type Props struct {
	Size int // Size in bytes. Default: 10.
}
`,
			want: []Prop{{Name: "Size", Type: "int", Default: "10", Description: "Size in bytes."}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseSource("widget.go", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil {
				t.Fatal("no Props found")
			}
			if c.Package != "widget" || c.Construct != tc.wantConstruct {
				t.Errorf("package %q construct %q, want widget %q", c.Package, c.Construct, tc.wantConstruct)
			}
			if !reflect.DeepEqual(c.Props, tc.want) {
				t.Errorf("props\n got %+v\nwant %+v", c.Props, tc.want)
			}
		})
	}
}

func TestParseSource_undocumentedPropsAreListed(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want []string // "Field: problem" substrings, in order
	}{
		{
			name: "no comment, no default, both, empty default",
			src: `package widget

type Props struct {
	NoComment string
	// NoDefault says nothing of its default.
	NoDefault string
	// Both is Required. Default: 1.
	Both int
	// Fine. Default: 2.
	Fine int
	// Empty has a bare marker. Default:
	Empty int
}
`,
			want: []string{
				"widget.Props.NoComment (widget.go:4): no doc comment",
				"widget.Props.NoDefault (widget.go:6): comment has neither",
				"widget.Props.Both (widget.go:8): comment has both",
				"widget.Props.Empty (widget.go:12): \"Default:\" is not followed by a value",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseSource("widget.go", tc.src)
			var u *UndocumentedError
			if !errors.As(err, &u) {
				t.Fatalf("want *UndocumentedError, got %v", err)
			}
			if len(u.Props) != len(tc.want) {
				t.Fatalf("got %d undocumented props, want %d:\n%v", len(u.Props), len(tc.want), err)
			}
			msg := err.Error()
			last := 0
			for _, w := range tc.want {
				i := strings.Index(msg[last:], w)
				if i < 0 {
					t.Fatalf("error does not list %q after offset %d:\n%s", w, last, msg)
				}
				last += i
			}
		})
	}
}

func TestParseSource_withoutProps(t *testing.T) {
	c, err := ParseSource("x.go", "package x\n\n// Options is not Props.\ntype Options struct{ A int }\n\ntype props struct{ B int }\n")
	if err != nil || c != nil {
		t.Fatalf("got %+v, %v; want nil, nil", c, err)
	}
}

func TestFirstSentence(t *testing.T) {
	cases := []struct{ in, want string }{
		{"One. Two.", "One."},
		{"Starts every key, e.g. \"rds/\". Then more.", "Starts every key, e.g. \"rds/\"."},
		{"That is, i.e. this. Next.", "That is, i.e. this."},
		{"Names (\"A\", \"B\", ...). Required.", "Names (\"A\", \"B\", ...)."},
		{"No period at all", "No period at all"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := firstSentence(tc.in); got != tc.want {
			t.Errorf("firstSentence(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"a | b", `a \| b`},
		{`"<prefix>/<file>"`, `"&lt;prefix&gt;/&lt;file&gt;"`},
		{"export_info_*.json, export_tables_info_*.json", `export_info\_\*.json, export_tables_info\_\*.json`},
		{`"_export_metadata"`, `"\_export_metadata"`},
		{"partition_datetime", "partition_datetime"},
		{"`code`", "\\`code\\`"},
	}
	for _, tc := range cases {
		if got := escapeMarkdown(tc.in); got != tc.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestPropsMarkdown(t *testing.T) {
	got := PropsMarkdown([]Construct{{
		Package:   "widget",
		Construct: "Widget",
		Props: []Prop{
			{Name: "Bucket", Type: "awss3.IBucket", Required: true, Description: "Bucket holds it."},
			{Name: "Size", Type: "int", Default: "10 | 20", Description: "Size of <it>."},
		},
	}})
	want := "#### `widget.Props` — `widget.New` → `Widget`\n\n" +
		"| prop | type | default | description |\n|---|---|---|---|\n" +
		"| `Bucket` | `awss3.IBucket` | required | Bucket holds it. |\n" +
		"| `Size` | `int` | 10 \\| 20 | Size of &lt;it&gt;. |\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestLoadProps_everyLibraryPackageHasDocumentedProps(t *testing.T) {
	cs, err := LoadProps("../..")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != len(LibraryPackages) {
		t.Fatalf("got %d constructs, want %d", len(cs), len(LibraryPackages))
	}
	for _, c := range cs {
		if c.Construct == "" || len(c.Props) == 0 {
			t.Errorf("%s: construct %q with %d props", c.Package, c.Construct, len(c.Props))
		}
	}
}
