package rdsfake

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/snapshotlake/snapshotlake/internal/demodata"
)

// demoSQL is the seed's demo database (shared/data/demo.sql).
var demoSQL = demodata.SQL

// DemoTables returns the seed's demo tables (city, country, countrylanguage)
// of database "postgres", schema "public", with the seed's rows, columns in
// table order and Parquet types as RDS exports PostgreSQL ("PostgreSQL data
// type mapping to Parquet", AWS RDS user guide): integer as INT32, smallint
// as INT32 (INT_16), real as FLOAT, numeric as a string (its literal text),
// text and character as strings, boolean as BOOLEAN.
func DemoTables() []Table {
	tables, err := parseSQL(demoSQL, "postgres", "public")
	if err != nil {
		panic("rdsfake: embedded demo.sql: " + err.Error()) // covered by tests
	}
	return tables
}

// parseSQL reads the CREATE TABLE and INSERT ... VALUES statements of a
// plain SQL dump — just enough of PostgreSQL for demo.sql.
func parseSQL(src, database, schema string) ([]Table, error) {
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	p := &sqlParser{toks: toks}
	var tables []*Table
	find := func(name string) *Table {
		for _, t := range tables {
			if t.Table == name {
				return t
			}
		}
		return nil
	}
	for !p.done() {
		switch {
		case p.word("CREATE"):
			p.expectWord("TABLE")
			t := &Table{Database: database, Schema: schema, Table: p.ident(), Types: map[string]ColumnType{}, OriginalTypes: map[string]string{}}
			p.expect("(")
			for _, def := range p.list() {
				if err := t.addColumn(def); err != nil {
					return nil, err
				}
			}
			tables = append(tables, t)
		case p.word("INSERT"):
			p.expectWord("INTO")
			t := find(p.ident())
			if t == nil {
				return nil, fmt.Errorf("insert into unknown table %q", p.prev().text)
			}
			p.expect("(")
			var cols []string
			for _, c := range p.list() {
				if len(c) != 1 || c[0].kind != tokIdent {
					return nil, fmt.Errorf("table %s: bad column list", t.Table)
				}
				cols = append(cols, c[0].text)
			}
			p.expectWord("VALUES")
			for {
				p.expect("(")
				if err := t.addRow(cols, p.list()); err != nil {
					return nil, err
				}
				if !p.punct(",") {
					break
				}
			}
		default:
			return nil, fmt.Errorf("unsupported statement at %q", p.peek().text)
		}
		p.expect(";")
		if p.err != nil {
			return nil, p.err
		}
	}
	out := make([]Table, len(tables))
	for i, t := range tables {
		out[i] = *t
	}
	return out, nil
}

// addColumn reads a column definition; constraints are skipped.
func (t *Table) addColumn(def []token) error {
	if len(def) == 0 || def[0].kind != tokIdent {
		return fmt.Errorf("table %s: bad column definition", t.Table)
	}
	switch strings.ToUpper(def[0].text) {
	case "CONSTRAINT", "CHECK", "PRIMARY", "UNIQUE", "FOREIGN":
		if !def[0].quoted {
			return nil
		}
	}
	if len(def) < 2 {
		return fmt.Errorf("table %s column %s: no type", t.Table, def[0].text)
	}
	// original is information_schema.columns.data_type's spelling.
	var typ ColumnType
	var original string
	switch strings.ToLower(def[1].text) {
	case "integer", "int", "int4":
		typ, original = TypeInt32, "integer"
	case "bigint", "int8":
		typ, original = TypeInt64, "bigint"
	case "smallint", "int2":
		typ, original = TypeInt16, "smallint"
	case "real", "float4":
		typ, original = TypeFloat32, "real"
	case "double", "float8":
		typ, original = TypeFloat64, "double precision"
	case "numeric", "decimal":
		typ, original = TypeString, "numeric"
	case "text":
		typ, original = TypeString, "text"
	case "character", "char":
		typ, original = TypeString, "character"
	case "varchar":
		typ, original = TypeString, "character varying"
	case "boolean", "bool":
		typ, original = TypeBool, "boolean"
	default:
		return fmt.Errorf("table %s column %s: unsupported type %q", t.Table, def[0].text, def[1].text)
	}
	t.Columns = append(t.Columns, def[0].text)
	t.Types[def[0].text] = typ
	t.OriginalTypes[def[0].text] = original
	return nil
}

// addRow converts one VALUES tuple by the columns' types.
func (t *Table) addRow(cols []string, vals [][]token) error {
	if len(vals) != len(cols) {
		return fmt.Errorf("table %s: %d values for %d columns", t.Table, len(vals), len(cols))
	}
	row := map[string]any{}
	for i, c := range cols {
		typ, ok := t.Types[c]
		if !ok {
			return fmt.Errorf("table %s: unknown column %q", t.Table, c)
		}
		if len(vals[i]) != 1 {
			return fmt.Errorf("table %s column %s: expression values are not supported", t.Table, c)
		}
		v, err := sqlValue(vals[i][0], typ)
		if err != nil {
			return fmt.Errorf("table %s column %s: %w", t.Table, c, err)
		}
		row[c] = v
	}
	t.Rows = append(t.Rows, row)
	return nil
}

func sqlValue(tok token, typ ColumnType) (any, error) {
	upper := strings.ToUpper(tok.text)
	switch {
	case tok.kind == tokIdent && !tok.quoted && upper == "NULL":
		return nil, nil
	case tok.kind == tokIdent && !tok.quoted && (upper == "TRUE" || upper == "FALSE") && typ == TypeBool:
		return upper == "TRUE", nil
	case tok.kind == tokString && typ == TypeString:
		return tok.text, nil
	case tok.kind == tokNumber && typ == TypeString:
		return tok.text, nil // numeric: exported as its text
	case tok.kind == tokNumber && (typ == TypeInt64 || typ == TypeInt32 || typ == TypeInt16):
		return strconv.ParseInt(tok.text, 10, 64)
	case tok.kind == tokNumber && typ == TypeFloat64:
		return strconv.ParseFloat(tok.text, 64)
	case tok.kind == tokNumber && typ == TypeFloat32:
		f, err := strconv.ParseFloat(tok.text, 32)
		return float32(f), err
	}
	return nil, fmt.Errorf("value %q does not fit type %s", tok.text, typ)
}

type tokKind int

const (
	tokIdent tokKind = iota
	tokString
	tokNumber
	tokPunct
)

type token struct {
	kind   tokKind
	text   string
	quoted bool // a "quoted" identifier
}

func tokenize(src string) ([]token, error) {
	var toks []token
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			var b strings.Builder
			j := i + 1
			for ; ; j++ {
				if j >= len(src) {
					return nil, fmt.Errorf("unterminated %c at offset %d", c, i)
				}
				if src[j] == c {
					if j+1 < len(src) && src[j+1] == c { // doubled quote
						b.WriteByte(c)
						j++
						continue
					}
					break
				}
				b.WriteByte(src[j])
			}
			kind := tokString
			if c == '"' {
				kind = tokIdent
			}
			toks = append(toks, token{kind: kind, text: b.String(), quoted: c == '"'})
			i = j + 1
		case isDigit(c) || c == '-' && i+1 < len(src) && isDigit(src[i+1]):
			j := i + 1
			for j < len(src) && (isDigit(src[j]) || src[j] == '.') {
				j++
			}
			toks = append(toks, token{kind: tokNumber, text: src[i:j]})
			i = j
		case isWordChar(c):
			j := i
			for j < len(src) && (isWordChar(src[j]) || isDigit(src[j])) {
				j++
			}
			toks = append(toks, token{kind: tokIdent, text: src[i:j]})
			i = j
		default:
			toks = append(toks, token{kind: tokPunct, text: string(c)})
			i++
		}
	}
	return toks, nil
}

func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isWordChar(c byte) bool { return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// sqlParser walks tokens, keeping the first error.
type sqlParser struct {
	toks []token
	pos  int
	err  error
}

func (p *sqlParser) done() bool { return p.err != nil || p.pos >= len(p.toks) }

func (p *sqlParser) peek() token {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return token{kind: tokPunct, text: "end of input"}
}

func (p *sqlParser) prev() token { return p.toks[p.pos-1] }

func (p *sqlParser) fail(format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf(format, args...)
	}
}

// word consumes an unquoted keyword if it is next.
func (p *sqlParser) word(w string) bool {
	t := p.peek()
	if t.kind == tokIdent && !t.quoted && strings.EqualFold(t.text, w) {
		p.pos++
		return true
	}
	return false
}

func (p *sqlParser) punct(s string) bool {
	if t := p.peek(); t.kind == tokPunct && t.text == s {
		p.pos++
		return true
	}
	return false
}

func (p *sqlParser) expectWord(w string) {
	if !p.word(w) {
		p.fail("expected %s, got %q", w, p.peek().text)
	}
}

func (p *sqlParser) expect(s string) {
	if !p.punct(s) {
		p.fail("expected %q, got %q", s, p.peek().text)
	}
}

func (p *sqlParser) ident() string {
	t := p.peek()
	if t.kind != tokIdent {
		p.fail("expected a name, got %q", t.text)
		return ""
	}
	p.pos++
	return t.text
}

// list reads comma-separated token groups up to the ")" closing an
// already consumed "(", keeping nested parentheses inside a group.
func (p *sqlParser) list() [][]token {
	var out [][]token
	var cur []token
	depth := 0
	for !p.done() {
		t := p.toks[p.pos]
		p.pos++
		switch {
		case t.kind == tokPunct && t.text == "(":
			depth++
		case t.kind == tokPunct && t.text == ")" && depth == 0:
			return append(out, cur)
		case t.kind == tokPunct && t.text == ")":
			depth--
		case t.kind == tokPunct && t.text == "," && depth == 0:
			out, cur = append(out, cur), nil
			continue
		}
		cur = append(cur, t)
	}
	p.fail("unclosed (")
	return nil
}
