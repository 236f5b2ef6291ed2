from app.accounts.masking import mask_id_number, mask_name, mask_phone


def test_names_keep_first_and_last_character():
    assert mask_name("张三明") == "张*明"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("") == "*"


def test_phone_hides_the_middle_four():
    assert mask_phone("13812345678") == "138****5678"


def test_id_number_hides_region_and_birth_date():
    masked = mask_id_number("11010519491231002X")
    assert masked == "1101**********002X"
    assert "19491231" not in masked
