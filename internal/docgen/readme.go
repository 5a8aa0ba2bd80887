package docgen

import (
	"bytes"
	"fmt"
	"strings"
)

// Names of the generated README blocks, each between the lines
// "<!-- NAME:begin … -->" and "<!-- NAME:end -->".
const (
	// DiagramBlock holds the Mermaid architecture diagram.
	DiagramBlock = "diagram"
	// PropsBlock holds the construct props tables.
	PropsBlock = "props"
)

// Blocks are the generated README blocks, in README order.
var Blocks = []string{DiagramBlock, PropsBlock}

// Context is the CDK context the diagram is synthesized with by
// cmd/docgen. It is test/app_test.go's exampleContext (test/readme_test.go
// checks they are equal), so the command and the test draw the same
// SnapshotLakeSource stack.
var Context = map[string]any{
	"demo":               true,
	"sourceClusters":     "analytics-db,reporting-db",
	"sourceInstances":    "orders-db",
	"destinationBucket":  "analytics-bucket-444455556666",
	"destinationAccount": "444455556666",
	"destinationKeyArn":  "arn:aws:kms:ap-northeast-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab",
}

// PropsSection is the content of the props block: the props tables of the
// library packages below root (the repository root).
func PropsSection(root string) (string, error) {
	cs, err := LoadProps(root)
	if err != nil {
		return "", err
	}
	return section(PropsMarkdown(cs)), nil
}

// DiagramSection is the content of the diagram block: the Mermaid diagram
// of templates[SourceStack] in a ```mermaid fence.
func DiagramSection(templates map[string]map[string]any, machines Machines) (string, error) {
	tpl, ok := templates[SourceStack]
	if !ok {
		return "", fmt.Errorf("docgen: no %s stack was synthesized", SourceStack)
	}
	d, err := Diagram(tpl, machines)
	if err != nil {
		return "", err
	}
	return section("```mermaid\n" + d + "```\n"), nil
}

// Generate returns the content of every block of Blocks by name.
func Generate(root string, templates map[string]map[string]any, machines Machines) (map[string]string, error) {
	props, err := PropsSection(root)
	if err != nil {
		return nil, err
	}
	diagram, err := DiagramSection(templates, machines)
	if err != nil {
		return nil, err
	}
	return map[string]string{PropsBlock: props, DiagramBlock: diagram}, nil
}

// section surrounds body with blank lines, so that Markdown ends a table
// or fence before the end marker.
func section(body string) string {
	return "\n" + body + "\n"
}

// markers returns the byte range of the text between block name's begin
// and end marker lines: from after the begin line's newline to the start
// of the end line.
func markers(readme []byte, name string) (start, end int, err error) {
	begin := []byte("<!-- " + name + ":begin")
	stop := []byte("<!-- " + name + ":end -->")
	start, end = -1, -1
	offset := 0
	for _, line := range bytes.SplitAfter(readme, []byte("\n")) {
		trimmed := bytes.TrimRight(line, "\r\n")
		switch {
		case bytes.HasPrefix(trimmed, begin):
			if start >= 0 {
				return 0, 0, fmt.Errorf("docgen: README has two %q lines", begin)
			}
			start = offset + len(line)
		case bytes.Equal(bytes.TrimSpace(trimmed), stop):
			if end >= 0 {
				return 0, 0, fmt.Errorf("docgen: README has two %q lines", stop)
			}
			end = offset
		}
		offset += len(line)
	}
	switch {
	case start < 0:
		return 0, 0, fmt.Errorf("docgen: README has no line starting with %q", begin)
	case end < 0:
		return 0, 0, fmt.Errorf("docgen: README has no %q line", stop)
	case end < start:
		return 0, 0, fmt.Errorf("docgen: README's %q comes before %q", stop, begin)
	}
	return start, end, nil
}

// Extract returns the text of block name in readme: the lines between its
// marker lines.
func Extract(readme []byte, name string) (string, error) {
	start, end, err := markers(readme, name)
	if err != nil {
		return "", err
	}
	return string(readme[start:end]), nil
}

// Replace returns readme with the text between the marker lines of each
// block in blocks replaced by its content; content should end with a
// newline.
func Replace(readme []byte, blocks map[string]string) ([]byte, error) {
	out := readme
	for _, name := range Blocks {
		content, ok := blocks[name]
		if !ok {
			continue
		}
		start, end, err := markers(out, name)
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		b.Write(out[:start])
		b.WriteString(content)
		b.Write(out[end:])
		out = b.Bytes()
	}
	return out, nil
}

// Diff is a line diff of want and got: lines only in want start with "-",
// lines only in got with "+", and unchanged lines are left out but for up
// to two around each change ("  " prefix; "…" for a gap).
func Diff(want, got string) string {
	a, b := lines(want), lines(got)
	// lcs[i][j] is the length of the longest common subsequence of a[i:]
	// and b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	const context = 2
	near := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind == ' ' {
			continue
		}
		for n := max(0, k-context); n <= min(len(ops)-1, k+context); n++ {
			near[n] = true
		}
	}
	var out strings.Builder
	gap := false
	for k, o := range ops {
		if !near[k] {
			gap = true
			continue
		}
		if gap && out.Len() > 0 {
			out.WriteString("  …\n")
		}
		gap = false
		fmt.Fprintf(&out, "%c %s\n", o.kind, o.text)
	}
	return out.String()
}

// lines splits s into lines without their newlines; none for "".
func lines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
