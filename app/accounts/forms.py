"""Web forms: field parsing and CSRF only. The rules live in the services, whose per-field
messages are copied onto these fields, so the page, the API and the CLI agree."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from app.accounts.models import Education, EmployerType, JobLevel

_PHONE = {"inputmode": "numeric", "autocomplete": "tel", "maxlength": 16}
_CODE = {"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}


class RegisterForm(FlaskForm):
    """Phone, SMS code, password: nothing else stands between a worker and the first lesson."""

    phone = StringField(_l("手机号"), render_kw=_PHONE)
    code = StringField(_l("短信验证码"), render_kw=_CODE)
    password = PasswordField(_l("密码（至少8位）"), render_kw={"autocomplete": "new-password"})
    next = HiddenField()


class ResetForm(FlaskForm):
    phone = StringField(_l("手机号"), render_kw=_PHONE)
    code = StringField(_l("短信验证码"), render_kw=_CODE)
    password = PasswordField(_l("新密码（至少8位）"), render_kw={"autocomplete": "new-password"})


class PhoneChangeForm(FlaskForm):
    new_phone = StringField(_l("新手机号"), render_kw=_PHONE)
    old_code = StringField(_l("原号码收到的验证码"), render_kw=_CODE)
    new_code = StringField(_l("新号码收到的验证码"), render_kw=_CODE)


class LostPhoneForm(FlaskForm):
    old_phone = StringField(_l("原手机号（已停用）"), render_kw=_PHONE)
    new_phone = StringField(_l("新手机号"), render_kw=_PHONE)
    code = StringField(_l("新号码收到的验证码"), render_kw=_CODE)


class MergeForm(FlaskForm):
    source = StringField(_l("要停用的账号（手机号）"), render_kw=_PHONE)
    target = StringField(_l("保留的账号（手机号）"), render_kw=_PHONE)
    id_number = StringField(_l("核对的身份证号码"), render_kw={"maxlength": 18, "autocomplete": "off"})


class LoginForm(FlaskForm):
    phone = StringField(_l("手机号"), render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 16})
    password = PasswordField(_l("密码"), render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("记住我"), default=True)
    next = HiddenField()


class PasswordForm(FlaskForm):
    current = PasswordField(_l("当前密码"), render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("新密码（至少8位）"), render_kw={"autocomplete": "new-password"})


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", _l("请选择"))] + [SelectChoice(k.value, v) for k, v in labels.items()]


JOB_LEVEL_LABELS = {JobLevel.front_line: _l("一线员工"), JobLevel.workshop_director: _l("车间主任"),
                    JobLevel.above: _l("车间主任以上")}
EMPLOYER_TYPE_LABELS = {EmployerType.enterprise: _l("企业"), EmployerType.government_organ: _l("机关"),
                        EmployerType.public_institution: _l("事业单位")}
EDUCATION_LABELS = {
    Education.none: _l("未上学"), Education.junior_middle: _l("初中"), Education.high_school: _l("高中"),
    Education.secondary_vocational: _l("中专/职高/技校"), Education.equivalent: _l("同等学力"),
    Education.zhuanke: _l("大专"), Education.benke: _l("本科"), Education.postgraduate: _l("研究生"),
}


class ProfileForm(FlaskForm):
    real_name = StringField(_l("真实姓名"), render_kw={"autocomplete": "name", "maxlength": 50})
    id_number = StringField(_l("身份证号码"), render_kw={"maxlength": 18, "autocomplete": "off"})
    employer = StringField(_l("工作单位"), render_kw={"maxlength": 200})
    employer_type = SelectField(_l("单位性质"), choices=_choices(EMPLOYER_TYPE_LABELS), validate_choice=False)
    job_level = SelectField(_l("岗位层级"), choices=_choices(JOB_LEVEL_LABELS), validate_choice=False)
    union_member = BooleanField(_l("我是工会会员"))
    union_code = SelectField(_l("所在工会"), choices=[], validate_choice=False)
    contract_start = StringField(_l("劳动合同开始日期"), render_kw={"type": "date"})
    contract_end = StringField(_l("劳动合同结束日期（无固定期限可不填）"), render_kw={"type": "date"})
    education = SelectField(_l("最高学历"), choices=_choices(EDUCATION_LABELS), validate_choice=False)
    # asked only to change a name or ID number already on file (app.accounts.profiles)
    current_password = PasswordField(_l("当前密码"), render_kw={"autocomplete": "current-password"})
    next = HiddenField()
