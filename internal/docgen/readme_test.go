package docgen

import (
	"strings"
	"testing"
)

const sampleReadme = `# title

<!-- diagram:begin (generated) -->
old diagram
<!-- diagram:end -->

text between

<!-- props:begin (generated) -->
<!-- props:end -->
end
`

func TestExtract(t *testing.T) {
	cases := []struct {
		readme, block, want, wantErr string
	}{
		{sampleReadme, DiagramBlock, "old diagram\n", ""},
		{sampleReadme, PropsBlock, "", ""},
		{"<!-- props:begin -->\r\nx\r\n<!-- props:end -->\r\n", PropsBlock, "x\r\n", ""},
		{"no markers\n", PropsBlock, "", "no line starting with"},
		{"<!-- props:begin -->\n", PropsBlock, "", "no \"<!-- props:end -->\" line"},
		{"<!-- props:end -->\n<!-- props:begin -->\n", PropsBlock, "", "comes before"},
		{"<!-- props:begin -->\n<!-- props:begin -->\n<!-- props:end -->\n", PropsBlock, "", "two"},
	}
	for _, tc := range cases {
		got, err := Extract([]byte(tc.readme), tc.block)
		switch {
		case tc.wantErr != "":
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Extract(%q, %s): error %v, want one containing %q", tc.readme, tc.block, err, tc.wantErr)
			}
		case err != nil:
			t.Errorf("Extract(%q, %s): %v", tc.readme, tc.block, err)
		case got != tc.want:
			t.Errorf("Extract(%q, %s) = %q, want %q", tc.readme, tc.block, got, tc.want)
		}
	}
}

func TestReplace_rewritesOnlyBetweenMarkers(t *testing.T) {
	blocks := map[string]string{DiagramBlock: section("new\ndiagram\n"), PropsBlock: section("| a |\n")}
	got, err := Replace([]byte(sampleReadme), blocks)
	if err != nil {
		t.Fatal(err)
	}
	want := `# title

<!-- diagram:begin (generated) -->

new
diagram

<!-- diagram:end -->

text between

<!-- props:begin (generated) -->

| a |

<!-- props:end -->
end
`
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for name, content := range blocks {
		if have, _ := Extract(got, name); have != content {
			t.Errorf("%s block reads back as %q, want %q", name, have, content)
		}
	}
	again, err := Replace(got, blocks)
	if err != nil || string(again) != string(got) {
		t.Errorf("replacing again changed the README (err %v)", err)
	}
}

func TestDiff(t *testing.T) {
	cases := []struct{ want, got, diff string }{
		{"a\nb\n", "a\nb\n", ""},
		{"a\nb\nc\n", "a\nB\nc\n", "  a\n- b\n+ B\n  c\n"},
		{"", "x\n", "+ x\n"},
		{"1\n2\n3\n4\n5\n6\n7\n8\n", "1\n2\n3\n4\n5\n6\n7\nX\n", "  6\n  7\n- 8\n+ X\n"},
		{"x\n1\n2\n3\n4\n5\n6\n", "y\n1\n2\n3\n4\n5\nz\n", "- x\n+ y\n  1\n  2\n  …\n  4\n  5\n- 6\n+ z\n"},
	}
	for _, tc := range cases {
		if got := Diff(tc.want, tc.got); got != tc.diff {
			t.Errorf("Diff(%q, %q) =\n%s\nwant\n%s", tc.want, tc.got, got, tc.diff)
		}
	}
}
