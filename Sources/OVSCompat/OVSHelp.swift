/// `--help` text of tapestry-ovs-vsctl.
public enum OVSHelp {
    public static func text(program: String) -> String {
        """
        \(program): Open vSwitch's ovs-vsctl for Tapestry (tapestryd)
        usage: \(program) [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...

        Every command of one invocation becomes one tapestryd transaction: all of it or none.
        Bridge and port commands:
          init | show | add-br BRIDGE | del-br BRIDGE | list-br | br-exists BRIDGE
          br-to-vlan BRIDGE | br-to-parent BRIDGE | list-ports BRIDGE | list-ifaces BRIDGE
          add-port BRIDGE PORT [COLUMN[:KEY]=VALUE]... | del-port [BRIDGE] PORT
          port-to-br PORT | iface-to-br IFACE
        Database commands (tables Bridge, Port, Interface, QoS, Queue, Open_vSwitch):
          list TABLE [RECORD]... | find TABLE [COLUMN[:KEY]=VALUE]... | get TABLE RECORD [COLUMN[:KEY]]...
          set TABLE RECORD COLUMN[:KEY]=VALUE... | add TABLE RECORD COLUMN [KEY=]VALUE...
          remove TABLE RECORD COLUMN KEY|VALUE... | clear TABLE RECORD COLUMN...
          create TABLE COLUMN[:KEY]=VALUE... (QoS, Queue) | destroy TABLE RECORD... (QoS, Queue)
        Command options: --may-exist --if-exists --with-iface --id=@NAME --columns=COL,... --all
        Global options: --timeout=SECS --format=list|table|csv|json --data=string|bare|json
          --no-headings --bare --oneline --dry-run --socket=PATH (else $TAPESTRY_SOCKET, else
          /run/tapestry/tapestryd.sock)
        Ports added here attach existing netdevs (libvirt's taps) as Tapestry system ports, or
        create internal ports (Interface type=internal) and patch ports (type=patch
        options:peer=PORT, the patch port on another bridge). Ingress policing polices what the port
        receives from its VM; a linux-htb QoS row's max-rate and burst shape what it sends to the VM
        (both as the port's policy); the QoS and Queue rows are kept for queries.

        """
    }
}
