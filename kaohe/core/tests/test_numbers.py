"""Numbers as people type them: each way a clerk types a figure, and each near miss refused with its reason."""

from __future__ import annotations

from decimal import Decimal

from django.test import SimpleTestCase

from kaohe.core.forms import NumberField
from kaohe.core.numbers import BAD_GROUPING, FOREIGN_DIGITS, INNER_SPACE, NOT_A_NUMBER, NumberError, typed_number


class TypedNumberTests(SimpleTestCase):
    def refused(self, text: str) -> NumberError:
        with self.assertRaises(NumberError) as ctx:
            typed_number(text)
        return ctx.exception

    def test_plain_and_signed_numbers(self) -> None:
        self.assertEqual(typed_number("1234.56"), Decimal("1234.56"))
        self.assertEqual(typed_number("-3.2"), Decimal("-3.2"))
        self.assertEqual(typed_number("+.5"), Decimal("0.5"))
        self.assertEqual(typed_number(" 7 "), Decimal(7))
        self.assertIsNone(typed_number("   "))

    def test_thousands_separators_in_groups_of_three(self) -> None:
        self.assertEqual(typed_number("84,000"), Decimal(84000))
        self.assertEqual(typed_number("1,234,567.89"), Decimal("1234567.89"))
        self.assertEqual(typed_number("-12,345.6"), Decimal("-12345.6"))

    def test_a_comma_that_is_no_thousands_separator_is_refused_not_dropped(self) -> None:
        for text in ("1,5", "12,34", "1,2345", "1,234,56", ",123", "1,,234", "1,234.5,6"):
            with self.subTest(text=text):
                error = self.refused(text)
                self.assertEqual((error.code, error.message), ("grouping", BAD_GROUPING.format(text=text)))

    def test_full_width_digits_and_punctuation_are_what_they_look_like(self) -> None:
        self.assertEqual(typed_number("８４０００"), Decimal(84000))
        self.assertEqual(typed_number("８４，０００．５"), Decimal("84000.5"))
        self.assertEqual(typed_number("－１．５"), Decimal("-1.5"))
        self.assertEqual(typed_number("\u3000１２\u3000"), Decimal(12))  # the ideographic space around it

    def test_digits_of_other_scripts_are_refused(self) -> None:
        # Python's Decimal reads these as 123 and 12; a clerk never means them.
        for text in ("١٢٣", "१२", "১২৩", "12٣"):
            with self.subTest(text=text):
                error = self.refused(text)
                self.assertEqual((error.code, error.message), ("digits", FOREIGN_DIGITS.format(text=text)))

    def test_a_space_inside_a_number_is_refused(self) -> None:
        error = self.refused("1 234")
        self.assertEqual((error.code, error.message), ("space", INNER_SPACE.format(text="1 234")))

    def test_what_is_no_number_at_all(self) -> None:
        for text in ("abc", "1e5", "NaN", "Infinity", "1.2.3", "--1", "12元", "0x10", "一百二", "🙂"):
            with self.subTest(text=text):
                error = self.refused(text)
                self.assertEqual((error.code, error.message), ("invalid", NOT_A_NUMBER.format(text=text)))


class NumberFieldTests(SimpleTestCase):
    def test_it_reads_typed_numbers_and_shows_stored_ones_as_people_write_them(self) -> None:
        field = NumberField(max_digits=12, decimal_places=4)
        self.assertEqual(field.clean("８４，０００"), Decimal(84000))
        self.assertEqual(field.prepare_value(Decimal("10.0000")), "10")
        self.assertEqual(field.prepare_value(Decimal("84000.5000")), "84,000.5")
        self.assertEqual(field.widget.attrs["inputmode"], "decimal")
        self.assertEqual(field.widget.input_type, "text")  # never the browser's English number input

    def test_near_misses_say_what_is_wrong_and_nonsense_gets_the_short_message(self) -> None:
        field = NumberField(max_digits=12, decimal_places=4)
        with self.assertRaisesMessage(Exception, BAD_GROUPING.format(text="1,5")):
            field.clean("1,5")
        with self.assertRaisesMessage(Exception, "输入一个数字"):
            field.clean("abc")
        with self.assertRaisesMessage(Exception, "确认总共不超过 12 个数字"):
            field.clean("1" * 13)
