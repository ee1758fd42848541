"""The household form pages: register a household and edit it, with its members. A rejected write re-renders the form
with what the officer typed; a form token makes a double submission register the household once."""

from __future__ import annotations

import datetime
import secrets

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.exceptions import ConflictError
from households.decorators import personal_data_required
from households.forms import HouseholdForm, MemberFormSet, member_initial
from households.models import WORKING_AGE_FROM, WORKING_AGE_TO, AdminUnit, Hamlet, Household
from households.permissions import can_edit_commune
from households.selectors import (
    editable_communes,
    household_lookalikes,
    open_round_for_household,
    open_round_for_user,
    visible_household,
)
from households.services import household_create, household_update


def _apply_errors(form, formset, exc: ValidationError, member_forms: list) -> None:
    """Put a service's ValidationError beside the fields it names; the rest goes on top of the form."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for key, messages_ in exc.message_dict.items():
        if key.startswith("members[") and "]." in key:
            index, field = key[len("members[") :].split("].", 1)
            if index.isdigit() and int(index) < len(member_forms) and field in member_forms[int(index)].fields:
                member_forms[int(index)].add_error(field, messages_)
                continue
        if key in form.fields and key != "expected_version":
            form.add_error(key, messages_)
        else:
            for message in messages_:
                form.add_error(None, message)


def _form_page(request, template_context: dict, status: int = 200):
    # The working-age bounds for the member rows' "able to work" default (static/js/povreg.js reads them).
    template_context.update(
        working_age_from=WORKING_AGE_FROM, working_age_to=WORKING_AGE_TO, this_year=datetime.date.today().year
    )
    return render(request, "households/household_form.html", template_context, status=status)


def _continue_to(request, household: Household) -> str:
    if request.POST.get("then") == "assess":
        return reverse("assessment-entry", args=[household.code])
    return reverse("household-detail", args=[household.code])


def _submit_household(form, formset, *, write) -> tuple[Household | None, int]:
    """Validate the household form and its member rows, then `write` (one service call, which finds or creates the
    typed hamlet in its own transaction). A refused write puts its errors beside the fields and keeps what was
    typed: (None, HTTP status)."""
    if not (form.is_valid() and formset.is_valid()):
        return None, 400
    kept = formset.kept_forms()
    data = form.cleaned_data
    try:
        return write(data, [f.member_data() for f in kept]), 200
    except ValidationError as exc:
        _apply_errors(form, formset, exc, kept)
        return None, 400
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
        return None, 403


def _warn_children_marked_able(request, formset) -> None:
    """Saved as ticked (the officer may know better), but said: a child under working age is rarely able to work."""
    names = formset.children_marked_able()
    if names:
        messages.warning(
            request,
            _("Marked able to work although under %(age)s: %(names)s. Check the birth year and the tick.")
            % {"age": WORKING_AGE_FROM, "names": ", ".join(names)},
        )


# One-time tokens of the registration form, in the session: token → "" while the form is open, then the code of
# the household it registered. A form sent again (back twice, then save) finds its token used and creates nothing.
FORM_TOKENS_KEY = "household_form_tokens"


FORM_TOKENS_KEPT = 50


def _issue_form_token(request) -> str:
    tokens = dict(request.session.get(FORM_TOKENS_KEY, {}))
    token = secrets.token_urlsafe(18)
    tokens[token] = ""
    for stale in list(tokens)[:-FORM_TOKENS_KEPT]:
        del tokens[stale]
    request.session[FORM_TOKENS_KEY] = tokens
    return token


def _form_token_state(request, token: str) -> str | None:
    """ "" for a token issued and not used yet, the household code it registered once used, None when unknown."""
    return request.session.get(FORM_TOKENS_KEY, {}).get(token) if token else None


def _use_form_token(request, token: str, household: Household) -> None:
    tokens = dict(request.session.get(FORM_TOKENS_KEY, {}))
    tokens[token] = household.code
    request.session[FORM_TOKENS_KEY] = tokens


def _renew_form_token(request, form) -> None:
    form.data = form.data.copy()
    form.data["form_token"] = _issue_form_token(request)


def _lookalikes(user, form, formset) -> list[Household]:
    """Households like the one about to be registered (same commune, head name and birth year, address) that the
    officer has not yet said to register anyway."""
    if not (form.is_valid() and formset.is_valid()):
        return []
    head = next(f.cleaned_data for f in formset.kept_forms() if f.cleaned_data["relation"] == "head")
    found = household_lookalikes(
        user=user,
        commune=form.cleaned_data["commune"],
        head_name=head["full_name"],
        head_birth_year=head["birth_year"],
        address=form.cleaned_data["address"],
    )
    return [] if {h.code for h in found} <= form.acknowledged_duplicates else found


@personal_data_required
def household_create_view(request):
    user = request.user
    communes = editable_communes(user).order_by("code")
    commune_list = list(communes[:2])
    if not commune_list:
        raise PermissionDenied(_("You cannot register households."))
    single = commune_list[0] if len(commune_list) == 1 else None
    status = 200
    lookalikes: list[Household] = []
    already_registered = None
    if request.method == "POST":
        form = HouseholdForm(request.POST, communes=communes)
        formset = MemberFormSet(request.POST, prefix="members")
        token = request.POST.get("form_token", "")
        token_state = _form_token_state(request, token)
        if token_state:
            # This form already registered a household: sent again, it registers nothing.
            already_registered = Household.objects.visible_to(user).filter(code=token_state).first()
            form.is_valid()
            form.add_error(
                None,
                _("This form was already saved: it registered household %(code)s. Nothing new was registered.")
                % {"code": token_state},
            )
            _renew_form_token(request, form)
            status = 409
        elif token_state is None:
            form.is_valid()
            formset.is_valid()
            form.add_error(
                None,
                _("This form was not opened here or has expired, so nothing was saved. Check the values below and save again."),
            )
            _renew_form_token(request, form)
            status = 400
        elif lookalikes := _lookalikes(user, form, formset):
            status = 200  # a warning, not an error: ticking "register anyway" and saving again goes through
        else:
            household, status = _submit_household(
                form,
                formset,
                write=lambda data, members: household_create(
                    actor=user,
                    code=data["code"],
                    commune=data["commune"],
                    hamlet_name=data["hamlet"],
                    address=data["address"],
                    members=members,
                ),
            )
            if household is not None:
                _use_form_token(request, token, household)
                messages.success(request, _("Household %(code)s registered.") % {"code": household.code})
                _warn_children_marked_able(request, formset)
                return redirect(_continue_to(request, household))
    else:
        form = HouseholdForm(
            communes=communes,
            initial={
                "commune": single,
                "code": suggested_code(single) if single else "",
                "form_token": _issue_form_token(request),
            },
        )
        formset = MemberFormSet(prefix="members", initial=[{"relation": "head"}])
    hamlet_commune = single or _chosen_commune(form, communes)
    return _form_page(
        request,
        {
            "form": form,
            "formset": formset,
            "single_commune": single,
            "editing": False,
            "hamlets": Hamlet.objects.visible_to(user).filter(commune=hamlet_commune).order_by("name") if hamlet_commune else [],
            "open_round": open_round_for_user(user),
            "lookalikes": lookalikes,
            "lookalike_codes": ",".join(h.code for h in lookalikes),
            "already_registered": already_registered,
            # A new row's "able to work" follows the birth year typed (static/js/povreg.js) until the officer ticks it.
            "new_rows_follow_age": not form.is_bound,
        },
        status,
    )


def suggested_code(commune: AdminUnit) -> str:
    """The commune's next code in its "CCCCC-NNNN" series (a suggestion the officer may overwrite)."""
    prefix = f"{commune.code}-"
    last = Household.objects.filter(code__startswith=prefix).order_by("-code").values_list("code", flat=True).first()
    suffix = last[len(prefix) :] if last else "0"
    if not suffix.isdigit():
        return ""
    return f"{prefix}{int(suffix) + 1:0{max(len(suffix), 4)}d}"


def _chosen_commune(form, communes) -> AdminUnit | None:
    value = form["commune"].value()
    if not value:
        return None
    try:
        return communes.filter(pk=int(value)).first()
    except (TypeError, ValueError):
        return None


@personal_data_required
def household_edit_view(request, code: str):
    user = request.user
    household = visible_household(user, code)
    if not can_edit_commune(user, household.commune):
        raise PermissionDenied(_("You can read this household but not change it."))
    communes = editable_communes(user).order_by("code")
    commune_list = list(communes[:2])
    single = commune_list[0] if len(commune_list) == 1 else None
    status = 200
    if request.method == "POST":
        form = HouseholdForm(request.POST, communes=communes, editing=True)
        formset = MemberFormSet(request.POST, prefix="members")
        try:
            saved, status = _submit_household(
                form,
                formset,
                write=lambda data, members: household_update(
                    actor=user,
                    household=household,
                    expected_version=data["expected_version"],
                    members=members,
                    commune=data["commune"],
                    hamlet_name=data["hamlet"],
                    address=data["address"],
                ),
            )
        except ConflictError as exc:
            # Keep what was typed; the next save (after reading the message) applies it over the newer version.
            current = Household.objects.get(pk=household.pk)
            form.add_error(None, f"{exc} " + _("Your changes are kept below: check them and save again to apply them."))
            form.data = form.data.copy()
            form.data["expected_version"] = str(current.version)
            saved, status = None, 409
        if saved is not None:
            messages.success(request, _("Household %(code)s saved.") % {"code": saved.code})
            _warn_children_marked_able(request, formset)
            return redirect(_continue_to(request, saved))
    else:
        form = HouseholdForm(
            communes=communes,
            editing=True,
            initial={
                "commune": household.commune,
                "hamlet": household.hamlet.name if household.hamlet else "",
                "address": household.address,
                "expected_version": household.version,
            },
        )
        formset = MemberFormSet(prefix="members", initial=member_initial(household.members.all()))
    hamlet_commune = _chosen_commune(form, communes) or household.commune
    return _form_page(
        request,
        {
            "form": form,
            "formset": formset,
            "single_commune": single,
            "editing": True,
            "household": household,
            "hamlets": Hamlet.objects.visible_to(user).filter(commune=hamlet_commune).order_by("name"),
            "open_round": open_round_for_household(household),
        },
        status,
    )
