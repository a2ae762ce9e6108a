from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class BootMethod(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BOOT_METHOD_UNSPECIFIED: _ClassVar[BootMethod]
    BOOT_METHOD_KEXEC: _ClassVar[BootMethod]
    BOOT_METHOD_IPXE: _ClassVar[BootMethod]

class ProgressStep(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PROGRESS_STEP_UNSPECIFIED: _ClassVar[ProgressStep]
    PROGRESS_STEP_ARTIFACTS_DOWNLOADED: _ClassVar[ProgressStep]
    PROGRESS_STEP_INSTALL_SCRIPT_STARTED: _ClassVar[ProgressStep]
    PROGRESS_STEP_BMC_CONFIGURED: _ClassVar[ProgressStep]
    PROGRESS_STEP_POWERING_OFF: _ClassVar[ProgressStep]
BOOT_METHOD_UNSPECIFIED: BootMethod
BOOT_METHOD_KEXEC: BootMethod
BOOT_METHOD_IPXE: BootMethod
PROGRESS_STEP_UNSPECIFIED: ProgressStep
PROGRESS_STEP_ARTIFACTS_DOWNLOADED: ProgressStep
PROGRESS_STEP_INSTALL_SCRIPT_STARTED: ProgressStep
PROGRESS_STEP_BMC_CONFIGURED: ProgressStep
PROGRESS_STEP_POWERING_OFF: ProgressStep

class LldpNeighbor(_message.Message):
    __slots__ = ("chassis_id", "system_name", "port_id", "port_description")
    CHASSIS_ID_FIELD_NUMBER: _ClassVar[int]
    SYSTEM_NAME_FIELD_NUMBER: _ClassVar[int]
    PORT_ID_FIELD_NUMBER: _ClassVar[int]
    PORT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    chassis_id: str
    system_name: str
    port_id: str
    port_description: str
    def __init__(self, chassis_id: _Optional[str] = ..., system_name: _Optional[str] = ..., port_id: _Optional[str] = ..., port_description: _Optional[str] = ...) -> None: ...

class Nic(_message.Message):
    __slots__ = ("name", "mac", "speed_mbps", "link", "lldp")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MAC_FIELD_NUMBER: _ClassVar[int]
    SPEED_MBPS_FIELD_NUMBER: _ClassVar[int]
    LINK_FIELD_NUMBER: _ClassVar[int]
    LLDP_FIELD_NUMBER: _ClassVar[int]
    name: str
    mac: str
    speed_mbps: int
    link: bool
    lldp: LldpNeighbor
    def __init__(self, name: _Optional[str] = ..., mac: _Optional[str] = ..., speed_mbps: _Optional[int] = ..., link: bool = ..., lldp: _Optional[_Union[LldpNeighbor, _Mapping]] = ...) -> None: ...

class Disk(_message.Message):
    __slots__ = ("name", "model", "serial", "size_bytes", "rotational")
    NAME_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    ROTATIONAL_FIELD_NUMBER: _ClassVar[int]
    name: str
    model: str
    serial: str
    size_bytes: int
    rotational: bool
    def __init__(self, name: _Optional[str] = ..., model: _Optional[str] = ..., serial: _Optional[str] = ..., size_bytes: _Optional[int] = ..., rotational: bool = ...) -> None: ...

class Cpu(_message.Message):
    __slots__ = ("model", "sockets", "cores", "threads")
    MODEL_FIELD_NUMBER: _ClassVar[int]
    SOCKETS_FIELD_NUMBER: _ClassVar[int]
    CORES_FIELD_NUMBER: _ClassVar[int]
    THREADS_FIELD_NUMBER: _ClassVar[int]
    model: str
    sockets: int
    cores: int
    threads: int
    def __init__(self, model: _Optional[str] = ..., sockets: _Optional[int] = ..., cores: _Optional[int] = ..., threads: _Optional[int] = ...) -> None: ...

class BmcInfo(_message.Message):
    __slots__ = ("mac", "firmware")
    MAC_FIELD_NUMBER: _ClassVar[int]
    FIRMWARE_FIELD_NUMBER: _ClassVar[int]
    mac: str
    firmware: str
    def __init__(self, mac: _Optional[str] = ..., firmware: _Optional[str] = ...) -> None: ...

class Facts(_message.Message):
    __slots__ = ("system_uuid", "serial", "vendor", "product", "bios_version", "cpu", "memory_bytes", "disks", "nics", "bmc")
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    SERIAL_FIELD_NUMBER: _ClassVar[int]
    VENDOR_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_FIELD_NUMBER: _ClassVar[int]
    BIOS_VERSION_FIELD_NUMBER: _ClassVar[int]
    CPU_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTES_FIELD_NUMBER: _ClassVar[int]
    DISKS_FIELD_NUMBER: _ClassVar[int]
    NICS_FIELD_NUMBER: _ClassVar[int]
    BMC_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    serial: str
    vendor: str
    product: str
    bios_version: str
    cpu: Cpu
    memory_bytes: int
    disks: _containers.RepeatedCompositeFieldContainer[Disk]
    nics: _containers.RepeatedCompositeFieldContainer[Nic]
    bmc: BmcInfo
    def __init__(self, system_uuid: _Optional[str] = ..., serial: _Optional[str] = ..., vendor: _Optional[str] = ..., product: _Optional[str] = ..., bios_version: _Optional[str] = ..., cpu: _Optional[_Union[Cpu, _Mapping]] = ..., memory_bytes: _Optional[int] = ..., disks: _Optional[_Iterable[_Union[Disk, _Mapping]]] = ..., nics: _Optional[_Iterable[_Union[Nic, _Mapping]]] = ..., bmc: _Optional[_Union[BmcInfo, _Mapping]] = ...) -> None: ...

class RegisterRequest(_message.Message):
    __slots__ = ("facts", "agent_address", "agent_version")
    FACTS_FIELD_NUMBER: _ClassVar[int]
    AGENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    AGENT_VERSION_FIELD_NUMBER: _ClassVar[int]
    facts: Facts
    agent_address: str
    agent_version: str
    def __init__(self, facts: _Optional[_Union[Facts, _Mapping]] = ..., agent_address: _Optional[str] = ..., agent_version: _Optional[str] = ...) -> None: ...

class BmcSettings(_message.Message):
    __slots__ = ("address", "prefix_length", "netmask", "gateway", "vlan", "username", "password", "channel", "user_id")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    NETMASK_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    VLAN_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    PASSWORD_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    address: str
    prefix_length: int
    netmask: str
    gateway: str
    vlan: int
    username: str
    password: str
    channel: int
    user_id: int
    def __init__(self, address: _Optional[str] = ..., prefix_length: _Optional[int] = ..., netmask: _Optional[str] = ..., gateway: _Optional[str] = ..., vlan: _Optional[int] = ..., username: _Optional[str] = ..., password: _Optional[str] = ..., channel: _Optional[int] = ..., user_id: _Optional[int] = ...) -> None: ...

class RegisterResponse(_message.Message):
    __slots__ = ("node_uuid", "bmc")
    NODE_UUID_FIELD_NUMBER: _ClassVar[int]
    BMC_FIELD_NUMBER: _ClassVar[int]
    node_uuid: str
    bmc: BmcSettings
    def __init__(self, node_uuid: _Optional[str] = ..., bmc: _Optional[_Union[BmcSettings, _Mapping]] = ...) -> None: ...

class GetIpxeRequest(_message.Message):
    __slots__ = ("system_uuid",)
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    def __init__(self, system_uuid: _Optional[str] = ...) -> None: ...

class GetIpxeResponse(_message.Message):
    __slots__ = ("script",)
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    script: str
    def __init__(self, script: _Optional[str] = ...) -> None: ...

class GetProfileRequest(_message.Message):
    __slots__ = ("system_uuid",)
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    def __init__(self, system_uuid: _Optional[str] = ...) -> None: ...

class Artifact(_message.Message):
    __slots__ = ("url", "sha256")
    URL_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    url: str
    sha256: str
    def __init__(self, url: _Optional[str] = ..., sha256: _Optional[str] = ...) -> None: ...

class GetProfileResponse(_message.Message):
    __slots__ = ("profile_name", "kernel", "initrd", "append", "install_script", "boot_method", "agent_token", "hostname")
    PROFILE_NAME_FIELD_NUMBER: _ClassVar[int]
    KERNEL_FIELD_NUMBER: _ClassVar[int]
    INITRD_FIELD_NUMBER: _ClassVar[int]
    APPEND_FIELD_NUMBER: _ClassVar[int]
    INSTALL_SCRIPT_FIELD_NUMBER: _ClassVar[int]
    BOOT_METHOD_FIELD_NUMBER: _ClassVar[int]
    AGENT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    profile_name: str
    kernel: Artifact
    initrd: Artifact
    append: str
    install_script: str
    boot_method: BootMethod
    agent_token: str
    hostname: str
    def __init__(self, profile_name: _Optional[str] = ..., kernel: _Optional[_Union[Artifact, _Mapping]] = ..., initrd: _Optional[_Union[Artifact, _Mapping]] = ..., append: _Optional[str] = ..., install_script: _Optional[str] = ..., boot_method: _Optional[_Union[BootMethod, str]] = ..., agent_token: _Optional[str] = ..., hostname: _Optional[str] = ...) -> None: ...

class GetDetailRequest(_message.Message):
    __slots__ = ("system_uuid",)
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    def __init__(self, system_uuid: _Optional[str] = ...) -> None: ...

class InterfaceAddress(_message.Message):
    __slots__ = ("interface", "address", "prefix_length", "gateway", "vlan", "pool")
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PREFIX_LENGTH_FIELD_NUMBER: _ClassVar[int]
    GATEWAY_FIELD_NUMBER: _ClassVar[int]
    VLAN_FIELD_NUMBER: _ClassVar[int]
    POOL_FIELD_NUMBER: _ClassVar[int]
    interface: str
    address: str
    prefix_length: int
    gateway: str
    vlan: int
    pool: str
    def __init__(self, interface: _Optional[str] = ..., address: _Optional[str] = ..., prefix_length: _Optional[int] = ..., gateway: _Optional[str] = ..., vlan: _Optional[int] = ..., pool: _Optional[str] = ...) -> None: ...

class Bond(_message.Message):
    __slots__ = ("mode", "options", "members")
    MODE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    MEMBERS_FIELD_NUMBER: _ClassVar[int]
    mode: str
    options: str
    members: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, mode: _Optional[str] = ..., options: _Optional[str] = ..., members: _Optional[_Iterable[str]] = ...) -> None: ...

class GetDetailResponse(_message.Message):
    __slots__ = ("hostname", "addresses", "bond", "dns_servers", "vlan")
    HOSTNAME_FIELD_NUMBER: _ClassVar[int]
    ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    BOND_FIELD_NUMBER: _ClassVar[int]
    DNS_SERVERS_FIELD_NUMBER: _ClassVar[int]
    VLAN_FIELD_NUMBER: _ClassVar[int]
    hostname: str
    addresses: _containers.RepeatedCompositeFieldContainer[InterfaceAddress]
    bond: Bond
    dns_servers: _containers.RepeatedScalarFieldContainer[str]
    vlan: int
    def __init__(self, hostname: _Optional[str] = ..., addresses: _Optional[_Iterable[_Union[InterfaceAddress, _Mapping]]] = ..., bond: _Optional[_Union[Bond, _Mapping]] = ..., dns_servers: _Optional[_Iterable[str]] = ..., vlan: _Optional[int] = ...) -> None: ...

class ReportInstalledRequest(_message.Message):
    __slots__ = ("system_uuid",)
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    def __init__(self, system_uuid: _Optional[str] = ...) -> None: ...

class ReportInstalledResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportFailedRequest(_message.Message):
    __slots__ = ("system_uuid", "message", "agent_address", "phase")
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    AGENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    PHASE_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    message: str
    agent_address: str
    phase: str
    def __init__(self, system_uuid: _Optional[str] = ..., message: _Optional[str] = ..., agent_address: _Optional[str] = ..., phase: _Optional[str] = ...) -> None: ...

class ReportFailedResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ReportProgressRequest(_message.Message):
    __slots__ = ("system_uuid", "step")
    SYSTEM_UUID_FIELD_NUMBER: _ClassVar[int]
    STEP_FIELD_NUMBER: _ClassVar[int]
    system_uuid: str
    step: ProgressStep
    def __init__(self, system_uuid: _Optional[str] = ..., step: _Optional[_Union[ProgressStep, str]] = ...) -> None: ...

class ReportProgressResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
