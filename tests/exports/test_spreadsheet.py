"""Formula injection: text a spreadsheet would run is neutralised in CSV and XLSX; real
numbers (negative ones too) stay numbers."""

import io
from decimal import Decimal

from django.test import SimpleTestCase
from openpyxl import load_workbook

from exports.spreadsheet import About, Sheet, cell_value, neutralise, to_csv, to_xlsx

DANGEROUS = ["=1+1", "+1+1", "-1+1", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")']


class NeutraliseTests(SimpleTestCase):
    def test_each_dangerous_start_gets_an_apostrophe(self):
        for text in DANGEROUS:
            self.assertEqual(neutralise(text), "'" + text, repr(text))

    def test_harmless_text_and_numbers_are_left_alone(self):
        for text in ["Puskesmas Lubuk Pinang", "K1 = 10", "'quoted", "", "1-2"]:
            self.assertEqual(neutralise(text), text)
        self.assertEqual(cell_value(-3), -3)
        self.assertEqual(cell_value(-2.5), -2.5)
        self.assertEqual(cell_value(Decimal("-1.5")), -1.5)
        self.assertIsNone(cell_value(None))


def _export():
    sheet = Sheet(
        "Data", ["Name", "Value"], [[t, -3] for t in DANGEROUS] + [["ok", Decimal("4.5")]]
    )
    about = About("=title", [("Area", "=evil"), ("Period", "2025-01 – 2025-06")], heading="About")
    return [sheet], about


class XlsxTests(SimpleTestCase):
    def test_text_is_never_a_formula_and_negative_numbers_stay_numbers(self):
        book = load_workbook(io.BytesIO(to_xlsx(*_export())))
        self.assertEqual(book.sheetnames, ["Data", "About"])
        ws = book["Data"]
        self.assertEqual([c.value for c in ws[1]], ["Name", "Value"])
        for row, text in enumerate(DANGEROUS, start=2):
            name, value = ws.cell(row, 1), ws.cell(row, 2)
            self.assertEqual(name.value, "'" + text)
            self.assertEqual(name.data_type, "s")
            self.assertEqual(value.value, -3)
            self.assertEqual(value.data_type, "n")
        self.assertEqual(ws.cell(len(DANGEROUS) + 2, 2).value, 4.5)
        about = book["About"]
        self.assertEqual(about["A1"].value, "'=title")
        self.assertEqual((about["A2"].value, about["B2"].value), ("Area", "'=evil"))
        self.assertEqual(about["B2"].data_type, "s")


class CsvTests(SimpleTestCase):
    def test_csv_neutralises_text_and_writes_numbers_plainly(self):
        content = to_csv(*_export())
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))  # BOM: Excel reads UTF-8
        text = content.decode("utf-8-sig")
        lines = text.split("\r\n")
        self.assertEqual(lines[0], "# '=title")
        self.assertIn("# Area: =evil", lines)  # inside a "#" comment cell: inert
        self.assertIn("'=1+1,-3", lines)
        self.assertIn("'+1+1,-3", lines)
        self.assertIn("'-1+1,-3", lines)
        self.assertIn("'@SUM(A1),-3", lines)
        self.assertIn("'\t=1,-3", lines)
        self.assertIn('"\'\r=1",-3', text)  # a CR inside a cell is quoted, and neutralised
        self.assertIn("ok,4.5", lines)
        for line in lines:
            self.assertFalse(line[:1] in ("=", "+", "@", "-"), repr(line))
