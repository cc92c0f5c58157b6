-- Assay APEL demo database "regional_airline": airports, aircraft, pilots and scheduled flights.
-- Written for Assay; the airports, codes, people and flights are fictional.

CREATE TABLE airport (
    airport_code TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    elevation_m INTEGER NOT NULL
);

CREATE TABLE aircraft (
    aircraft_id INTEGER PRIMARY KEY,
    tail_number TEXT NOT NULL UNIQUE,
    model TEXT NOT NULL,
    manufacturer TEXT NOT NULL,
    seat_count INTEGER NOT NULL,
    year_built INTEGER NOT NULL
);

CREATE TABLE pilot (
    pilot_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    rank TEXT NOT NULL,
    flight_hours INTEGER NOT NULL,
    license_date TEXT NOT NULL,
    home_base_code TEXT,
    FOREIGN KEY (home_base_code) REFERENCES airport (airport_code)
);

CREATE TABLE flight (
    flight_id INTEGER PRIMARY KEY,
    flight_number TEXT NOT NULL,
    origin_code TEXT NOT NULL,
    destination_code TEXT NOT NULL,
    aircraft_id INTEGER NOT NULL,
    captain_id INTEGER NOT NULL,
    first_officer_id INTEGER,
    departure_date TEXT NOT NULL,
    distance_km INTEGER NOT NULL,
    base_fare REAL NOT NULL,
    passengers INTEGER,
    FOREIGN KEY (origin_code) REFERENCES airport (airport_code),
    FOREIGN KEY (destination_code) REFERENCES airport (airport_code),
    FOREIGN KEY (aircraft_id) REFERENCES aircraft (aircraft_id),
    FOREIGN KEY (captain_id) REFERENCES pilot (pilot_id),
    FOREIGN KEY (first_officer_id) REFERENCES pilot (pilot_id)
);

INSERT INTO airport (airport_code, name, city, country, elevation_m) VALUES
    ('KVL', 'Kestrel Valley Regional', 'Kestrel Valley', 'Canada', 312),
    ('BRH', 'Birch Harbor Airport', 'Birch Harbor', 'Canada', 14),
    ('ASP', 'Aspen Ridge Field', 'Aspen Ridge', 'USA', 1620),
    ('MLC', 'Millcreek Municipal', 'Millcreek', 'USA', 245),
    ('SNT', 'Santorelle International', 'Santorelle', 'USA', 14),
    ('PDN', 'Port Dunmore Airstrip', 'Port Dunmore', 'Canada', 8),
    ('HWL', 'Hawley Lakes Airport', 'Hawley Lakes', 'Canada', 402),
    ('GRF', 'Granite Falls Airfield', 'Granite Falls', 'USA', 980),
    ('LMO', 'Lamoine Regional', 'Lamoine', 'USA', 245);

INSERT INTO aircraft (aircraft_id, tail_number, model, manufacturer, seat_count, year_built) VALUES
    (1, 'C-FKVA', 'Dash 8-400', 'De Havilland', 78, 2011),
    (2, 'C-FKVB', 'Dash 8-400', 'De Havilland', 78, 2014),
    (3, 'N512RA', 'ATR 72-600', 'ATR', 70, 2016),
    (4, 'N513RA', 'ATR 72-600', 'ATR', 70, 2018),
    (5, 'N220RA', 'E175', 'Embraer', 76, 2015),
    (6, 'C-GKVC', 'Twin Otter', 'De Havilland', 19, 1998),
    (7, 'N88RA', 'King Air 350', 'Beechcraft', 11, 2009),
    (8, 'N221RA', 'E175', 'Embraer', 76, 2019);

INSERT INTO pilot (pilot_id, name, rank, flight_hours, license_date, home_base_code) VALUES
    (1, 'Helena Vasquez', 'Captain', 12400, '2003-05-14', 'KVL'),
    (2, 'Owen Pritchard', 'First Officer', 3100, '2017-09-02', 'KVL'),
    (3, 'Mei Tanaka', 'Captain', 9800, '2008-03-21', 'SNT'),
    (4, 'Rashid Karim', 'First Officer', 2450, '2019-06-11', 'SNT'),
    (5, 'Gunnar Holm', 'Captain', 15200, '1999-11-30', 'BRH'),
    (6, 'Tess Morgan', 'First Officer', 4100, '2015-02-17', 'MLC'),
    (7, 'Andre Dubois', 'Captain', 9800, '2006-07-08', 'BRH'),
    (8, 'Priscilla Yeo', 'First Officer', 1800, '2021-10-25', NULL),
    (9, 'Carlos Mendes', 'Captain', 11050, '2004-01-19', 'ASP'),
    (10, 'Fiona Walsh', 'First Officer', 2450, '2018-04-03', 'KVL');

INSERT INTO flight (
    flight_id, flight_number, origin_code, destination_code, aircraft_id, captain_id, first_officer_id,
    departure_date, distance_km, base_fare, passengers
) VALUES
    (1, 'RA101', 'KVL', 'BRH', 1, 1, 2, '2024-03-01', 420, 129.0, 71),
    (2, 'RA102', 'BRH', 'KVL', 1, 5, 10, '2024-03-01', 420, 129.0, 65),
    (3, 'RA210', 'SNT', 'ASP', 3, 3, 4, '2024-03-02', 860, 189.0, 68),
    (4, 'RA211', 'ASP', 'SNT', 3, 9, 4, '2024-03-03', 860, 189.0, 70),
    (5, 'RA305', 'KVL', 'HWL', 6, 1, 2, '2024-03-03', 180, 89.0, 17),
    (6, 'RA306', 'HWL', 'KVL', 6, 7, 10, '2024-03-04', 180, 89.0, 19),
    (7, 'RA410', 'MLC', 'SNT', 5, 3, 6, '2024-03-04', 530, 149.0, 74),
    (8, 'RA411', 'SNT', 'MLC', 5, 9, 6, '2024-03-05', 530, 149.0, NULL),
    (9, 'RA520', 'PDN', 'BRH', 7, 5, NULL, '2024-03-05', 95, 65.0, 9),
    (10, 'RA521', 'BRH', 'PDN', 7, 7, NULL, '2024-03-06', 95, 65.0, 11),
    (11, 'RA630', 'GRF', 'ASP', 4, 9, 8, '2024-03-06', 340, 119.0, 52),
    (12, 'RA631', 'ASP', 'GRF', 4, 3, 4, '2024-03-07', 340, 119.0, 61),
    (13, 'RA101', 'KVL', 'BRH', 2, 1, 10, '2024-03-08', 420, 135.0, 78),
    (14, 'RA740', 'LMO', 'MLC', 8, 9, 6, '2024-03-08', 210, 99.0, 44),
    (15, 'RA741', 'MLC', 'LMO', 8, 3, 8, '2024-03-09', 210, 99.0, NULL),
    (16, 'RA850', 'KVL', 'SNT', 2, 5, 2, '2024-03-09', 1940, 249.0, 77),
    (17, 'RA851', 'SNT', 'KVL', 2, 1, 2, '2024-03-10', 1940, 249.0, 76),
    (18, 'RA210', 'SNT', 'ASP', 3, 9, 8, '2024-03-10', 860, 195.0, 70),
    (19, 'RA960', 'LMO', 'GRF', 4, 3, 4, '2024-03-11', 610, 139.0, 38),
    (20, 'RA305', 'KVL', 'HWL', 6, 7, 10, '2024-03-12', 180, 89.0, 15),
    (21, 'RA410', 'MLC', 'SNT', 5, 3, 6, '2024-03-12', 530, 149.0, 69),
    (22, 'RA520', 'PDN', 'BRH', 7, 5, NULL, '2024-03-13', 95, 65.0, NULL);
