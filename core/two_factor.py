"""Two-factor authentication (TOTP, django-otp) for department staff and administrators.

Required when POVREG_REQUIRE_2FA is on (the default whenever DEBUG is off). After the password, such a user is
sent to /accounts/2fa/: the first time to set up an authenticator app (QR code and key shown once), then for the
6-digit code at each sign-in. API tokens for such a user are issued only with a current code (`otp`)."""

from __future__ import annotations

from base64 import b32encode

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from households.models import Role

EXEMPT_PREFIXES = ("/accounts/2fa/", "/accounts/logout/", "/accounts/login/", "/static/", "/i18n/", "/jsi18n/")


def required_for(user) -> bool:
    """Whether `user` must pass a second factor: department staff and administrators, when the setting is on."""
    if not getattr(settings, "POVREG_REQUIRE_2FA", False) or not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.assignments.filter(role__in=(Role.DEPARTMENT_STAFF, Role.ADMIN)).exists()


def confirmed_device(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("6-digit code from the authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "autofocus": True}),
    )


@login_required
def verify(request):
    """Set up (first time) or enter the second factor."""
    user = request.user
    next_url = request.POST.get("next") or request.GET.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    device = confirmed_device(user)
    if device is None and not required_for(user):
        return redirect(next_url)  # nothing to set up for this account
    setting_up = device is None
    if setting_up:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=False
        )
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"]):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("code", _("This code is not right (or has expired). Enter the current code from the app."))
    context = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        import segno

        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#0b3d6b")
        context["secret"] = b32encode(device.bin_key).decode()
    return render(request, "registration/two_factor.html", context)


class TwoFactorMiddleware:
    """Until a user who needs a second factor has passed it, every page leads to /accounts/2fa/; the API
    answers 403 (session) — tokens carry their own proof."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            getattr(user, "is_authenticated", False)
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not user.is_verified()
            and required_for(user)
        ):
            if request.path.startswith("/api/"):
                from django.http import JsonResponse

                message = str(_("Two-factor authentication is required: sign in again in the browser."))
                return JsonResponse({"errors": [{"field": None, "code": "two_factor", "message": message}]}, status=403)
            return redirect(f"/accounts/2fa/?next={request.get_full_path()}")
        return self.get_response(request)


def token_second_factor(user, code) -> str | None:
    """For the token endpoint: None when `user` may have a token, else why not."""
    if not required_for(user):
        return None
    device = confirmed_device(user)
    if device is None:
        return str(_("Set up two-factor authentication in the browser first, then ask for a token with its code (otp)."))
    if not code or not device.verify_token(str(code)):
        return str(_("A current two-factor code (otp) is required for this account."))
    return None
