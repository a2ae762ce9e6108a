from bearman.states import (
    DEPLOY_TRANSITIONS,
    NODE_TRANSITIONS,
    DeployStatus,
    NodeStatus,
    deploy_move_allowed,
    node_move_allowed,
)


def test_every_status_has_a_row_in_its_table():
    assert set(NODE_TRANSITIONS) == set(NodeStatus)
    assert set(DEPLOY_TRANSITIONS) == set(DeployStatus)


def test_baremetal_follows_the_design():
    assert deploy_move_allowed("deploy_start", "deploying")
    assert deploy_move_allowed("deploying", "installed")
    assert deploy_move_allowed("deploying", "unrecoverable_error")
    assert deploy_move_allowed("installed", "deploy_start")  # redeploy
    assert not deploy_move_allowed("deploy_start", "installed")
    assert not deploy_move_allowed("installed", "deploying")
    assert not deploy_move_allowed("unrecoverable_error", "installed")


def test_any_node_can_be_retired_or_put_in_maintenance():
    for status in NodeStatus:
        if status is not NodeStatus.RETIRED:
            assert node_move_allowed(status, NodeStatus.RETIRED)
        if status is not NodeStatus.MAINTENANCE:
            assert node_move_allowed(status, NodeStatus.MAINTENANCE)


def test_a_retired_node_returns_only_through_maintenance():
    assert not node_move_allowed("retired", "ready")
    assert node_move_allowed("retired", "maintenance")
    assert node_move_allowed("maintenance", "ready")


def test_labels_read_well():
    assert DeployStatus.UNRECOVERABLE_ERROR.label == "Unrecoverable error"
    assert ("ready", "Ready") in NodeStatus.choices()
