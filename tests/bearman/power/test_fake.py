from bearman.power import BmcTarget, BootDevice, MachinePower, PowerRequest
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
