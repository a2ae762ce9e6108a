import pytest

from bearman.power import BmcTarget, BmcTimeout, BootDevice, MachinePower, PowerRequest
from bearman.power.base import wait_for_power
from bearman.power.fake import FakePowerDriver, MemoryFakeStore

BMC = BmcTarget("10.0.0.9", 623, "admin", "secret")


def test_the_fake_remembers_power_and_a_one_time_boot_device():
    store = MemoryFakeStore()
    driver = FakePowerDriver(store)
    assert driver.get_power_state(BMC) == MachinePower.OFF
    driver.set_boot_device(BMC, BootDevice.NETWORK)
    assert store.load(BMC).boot_device == BootDevice.NETWORK
    assert driver.set_power_state(BMC, PowerRequest.ON) == MachinePower.ON
    assert store.load(BMC).boot_device is None  # used up by the boot
    assert driver.set_power_state(BMC, PowerRequest.SOFT_OFF) == MachinePower.OFF
    assert driver.cycle(BMC) == MachinePower.ON
    assert FakePowerDriver(store).get_power_state(BMC) == MachinePower.ON


def test_a_machine_that_never_reaches_the_state_is_reported_as_last_read():
    with pytest.raises(BmcTimeout) as raised:
        wait_for_power(BMC, lambda: MachinePower.ON, MachinePower.OFF, seconds=0.2, interval=0.05)
    assert str(raised.value) == (
        "the machine behind BMC 10.0.0.9:623 is still on, 0.2 s after it was asked to be off"
    )
    assert raised.value.power == MachinePower.ON  # known: the node's state is set to it
