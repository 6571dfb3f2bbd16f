"""PDSA attachments: type from the first bytes, at most 5 MB, no path in the name."""

import shutil
import tempfile

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase, TestCase, override_settings

from improvement import attachments, services

from .world import ImprovementWorldMixin

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
PDF = b"%PDF-1.7\n" + b"x" * 32


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


class CheckUploadTests(SimpleTestCase):
    def test_png_jpeg_and_pdf_are_recognised_by_their_bytes(self):
        for content, kind, name in (
            (PNG, "image/png", "photo.png"),
            (JPEG, "image/jpeg", "photo.jpg"),
            (PDF, "application/pdf", "notulen.pdf"),
        ):
            checked = attachments.check_upload(upload(name, content))
            self.assertEqual((checked.content_type, checked.name), (kind, name))

    def test_wrong_type_is_refused_whatever_the_name_and_claimed_type(self):
        for content in (b"MZ\x90\x00 executable", b"<svg onload=alert(1)>", b"GIF89a", b""):
            with self.subTest(content=content), self.assertRaises(ValidationError) as caught:
                attachments.check_upload(upload("x.pdf", content, "application/pdf"))
            self.assertEqual(caught.exception.code, "wrong_type")

    def test_over_five_megabytes_is_refused(self):
        big = PDF + b"x" * (attachments.MAX_BYTES - len(PDF) + 1)
        with self.assertRaises(ValidationError) as caught:
            attachments.check_upload(upload("big.pdf", big))
        self.assertEqual(caught.exception.code, "too_large")
        exactly = PDF + b"x" * (attachments.MAX_BYTES - len(PDF))
        self.assertEqual(attachments.check_upload(upload("ok.pdf", exactly)).size, 5 * 1024 * 1024)

    def test_path_parts_and_odd_characters_are_dropped_from_the_name(self):
        cases = {
            "../../x.pdf": "x.pdf",
            "..\\..\\windows\\x.pdf": "x.pdf",
            "/etc/passwd": "passwd.pdf",
            "..": "attachment.pdf",
            "hasil studi <b>.PDF": "hasil-studi-b.pdf",
            "photo.png.exe": "photo-png.pdf",
        }
        for given, expected in cases.items():
            with self.subTest(given=given):
                self.assertEqual(attachments.safe_name(given, "application/pdf"), expected)

    def test_extension_follows_the_content_not_the_name(self):
        self.assertEqual(attachments.check_upload(upload("scan.pdf", PNG)).name, "scan.png")


class AttachmentServiceTests(ImprovementWorldMixin, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.build_improvement()

    def setUp(self):
        media = tempfile.mkdtemp(prefix="qi-media-")
        self.addCleanup(shutil.rmtree, media, ignore_errors=True)
        settings = override_settings(MEDIA_ROOT=media)
        settings.enable()
        self.addCleanup(settings.disable)
        self.media = media

    def test_stored_under_media_with_a_safe_name(self):
        attachment = services.attachment_add(
            cycle=self.cycle_ciwandan, user=self.coach_cilegon, upload=upload("../../x.pdf", PDF)
        )
        self.assertEqual(attachment.name, "x.pdf")
        self.assertTrue(attachment.file.path.startswith(self.media))
        self.assertNotIn("..", attachment.file.name)
        with attachment.file.open("rb") as stored:
            self.assertEqual(stored.read(), PDF)

    def test_refused_file_stores_nothing(self):
        with self.assertRaises(ValidationError):
            services.attachment_add(
                cycle=self.cycle_ciwandan, user=self.coach_cilegon, upload=upload("x.png", b"no")
            )
        self.assertFalse(self.cycle_ciwandan.attachments.exists())

    def test_only_writers_attach(self):
        from django.core.exceptions import PermissionDenied

        with self.assertRaises(PermissionDenied):
            services.attachment_add(
                cycle=self.cycle_mukomuko, user=self.dinkes_mukomuko, upload=upload("x.pdf", PDF)
            )
