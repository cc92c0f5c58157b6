-- Assay APEL demo database "concert_venue": live-music venues, touring artists and their concerts.
-- Written for Assay; every name and number here is fictional.

CREATE TABLE venue (
    venue_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    city TEXT NOT NULL,
    capacity INTEGER NOT NULL,
    opened_year INTEGER
);

CREATE TABLE artist (
    artist_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    genre TEXT NOT NULL,
    country TEXT NOT NULL,
    formed_year INTEGER,
    member_count INTEGER NOT NULL
);

CREATE TABLE concert (
    concert_id INTEGER PRIMARY KEY,
    venue_id INTEGER NOT NULL,
    artist_id INTEGER NOT NULL,
    concert_date TEXT NOT NULL,
    ticket_price REAL NOT NULL,
    attendance INTEGER,
    FOREIGN KEY (venue_id) REFERENCES venue (venue_id),
    FOREIGN KEY (artist_id) REFERENCES artist (artist_id)
);

INSERT INTO venue (venue_id, name, city, capacity, opened_year) VALUES
    (1, 'The Copper Hall', 'Portland', 2200, 1998),
    (2, 'Riverside Arena', 'Austin', 15000, 2004),
    (3, 'Blue Lantern Club', 'Chicago', 450, 1987),
    (4, 'Harbor Amphitheater', 'Seattle', 8000, NULL),
    (5, 'Maple Room', 'Portland', 450, 2011),
    (6, 'Northgate Pavilion', 'Denver', 5200, 1995),
    (7, 'Velvet Basement', 'Austin', 300, 2016),
    (8, 'Granite Stage', 'Denver', 2200, NULL),
    (9, 'Sunset Bowl', 'Los Angeles', 17500, 1979),
    (10, 'Lighthouse Theater', 'Seattle', 1200, 2008);

INSERT INTO artist (artist_id, name, genre, country, formed_year, member_count) VALUES
    (1, 'Paper Moons', 'Indie Rock', 'USA', 2009, 4),
    (2, 'Ola Brandt', 'Jazz', 'Norway', NULL, 1),
    (3, 'The Static Choir', 'Indie Rock', 'UK', 2003, 5),
    (4, 'Marisol Vega', 'Latin Pop', 'Mexico', NULL, 1),
    (5, 'Iron Orchard', 'Metal', 'USA', 1996, 4),
    (6, 'Quiet Engines', 'Electronic', 'Germany', 2012, 2),
    (7, 'Delta Row', 'Blues', 'USA', 1991, 3),
    (8, 'Hana Sato Trio', 'Jazz', 'Japan', 2015, 3),
    (9, 'Cinder & Salt', 'Folk', 'Canada', 2010, 2),
    (10, 'Northbound Ghosts', 'Indie Rock', 'Canada', 2018, 4),
    (11, 'Lumen Drive', 'Electronic', 'UK', 2007, 2),
    (12, 'Rosa Kettle', 'Folk', 'Ireland', NULL, 1);

INSERT INTO concert (concert_id, venue_id, artist_id, concert_date, ticket_price, attendance) VALUES
    (1, 1, 1, '2023-02-14', 35.0, 2100),
    (2, 2, 5, '2023-03-03', 59.5, 14200),
    (3, 3, 2, '2023-03-18', 28.0, 450),
    (4, 4, 3, '2023-04-22', 45.0, 7600),
    (5, 5, 9, '2023-05-05', 22.0, 380),
    (6, 6, 7, '2023-05-19', 40.0, NULL),
    (7, 9, 4, '2023-06-10', 75.0, 17100),
    (8, 7, 10, '2023-06-24', 18.0, 300),
    (9, 10, 8, '2023-07-08', 32.0, 1150),
    (10, 1, 3, '2023-07-29', 45.0, 2200),
    (11, 2, 6, '2023-08-12', 50.0, 11800),
    (12, 8, 1, '2023-09-02', 35.0, 1900),
    (13, 3, 8, '2023-09-16', 30.0, 440),
    (14, 9, 5, '2023-10-07', 65.0, 16900),
    (15, 4, 11, '2023-10-21', 48.0, NULL),
    (16, 6, 9, '2023-11-04', 25.0, 3100),
    (17, 5, 2, '2023-11-18', 28.0, 420),
    (18, 10, 7, '2024-01-20', 38.0, 1080),
    (19, 2, 4, '2024-02-10', 70.0, 14900),
    (20, 1, 10, '2024-03-02', 24.0, 1750),
    (21, 7, 6, '2024-03-23', 20.0, 300),
    (22, 9, 3, '2024-04-13', 55.0, 15800),
    (23, 8, 7, '2024-05-04', 40.0, 2050),
    (24, 3, 9, '2024-05-25', 22.0, NULL),
    (25, 4, 1, '2024-06-15', 42.0, 7300);
