package docgen

import (
	"strings"
	"testing"
)

const sampleExample = `package x_test

import (
	"fmt"
)

// Doc comment, left out.
func Example_app() {
	// a comment that stays
	fmt.Println("hi")
	// Output:
	// hi
}
`

func TestMainFromExample(t *testing.T) {
	got, err := MainFromExample([]byte(sampleExample), "Example_app")
	if err != nil {
		t.Fatal(err)
	}
	want := `package main

import (
	"fmt"
)

func main() {
	// a comment that stays
	fmt.Println("hi")
}
`
	if got != want {
		t.Errorf("MainFromExample:\n%s", Diff(want, got))
	}
}

func TestMainFromExample_refusesFilesWithMoreThanTheExample(t *testing.T) {
	cases := map[string]string{
		"another func": sampleExample + "\nfunc helper() {}\n",
		"a const":      sampleExample + "\nconst x = 1\n",
		"a type":       sampleExample + "\ntype T struct{}\n",
		"no example":   "package x_test\n\nfunc Example_other() {}\n",
	}
	for name, src := range cases {
		if _, err := MainFromExample([]byte(src), "Example_app"); err == nil {
			t.Errorf("%s: no error", name)
		} else if !strings.Contains(err.Error(), "Example_app") {
			t.Errorf("%s: error %q does not name the example", name, err)
		}
	}
}
