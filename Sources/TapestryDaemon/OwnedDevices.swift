import Foundation
import HostSystem

/// The netdevs Tapestry created (`<state-dir>/owned.json`): written before a device is created and
/// after it is deleted, so that a restart can remove what a crash left behind, and nothing else.
final class OwnedDevices {
    struct Device: Codable, Hashable {
        var name: String
        var netns: String?
    }

    private let path: String
    private(set) var devices: Set<Device> = []

    init(stateDirectory: String) {
        path = stateDirectory + "/owned.json"
        AtomicFile.removeLeftovers(of: path)
        if let data = FileManager.default.contents(atPath: path),
           let list = try? JSONDecoder().decode([Device].self, from: data) {
            devices = Set(list)
        }
    }

    func insert(_ d: Device) throws { try insert(contentsOf: [d]) }

    func remove(_ d: Device) throws { try remove(contentsOf: [d]) }

    /// Records several devices with one durable write.
    func insert<S: Sequence>(contentsOf list: S) throws where S.Element == Device {
        let before = devices.count
        devices.formUnion(list)
        if devices.count != before { try save() }
    }

    /// Forgets several devices with one durable write.
    func remove<S: Sequence>(contentsOf list: S) throws where S.Element == Device {
        let before = devices.count
        devices.subtract(list)
        if devices.count != before { try save() }
    }

    private func save() throws {
        let list = devices.sorted { ($0.netns ?? "", $0.name) < ($1.netns ?? "", $1.name) }
        try AtomicFile.write(try JSONEncoder().encode(list), to: path)
    }
}
